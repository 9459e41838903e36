import { createHash } from 'node:crypto';
import {
  CompactRange,
  consistencyProofRanges,
  EMPTY_ROOT,
  frontierOf,
  Hash,
  inclusionProofRanges,
  leafHash,
  nodeHash,
  rangeHash,
  rootOf,
  subtreesOf,
  verifyConsistency,
  verifyInclusion,
} from './merkle';

const hex = (b: Buffer) => b.toString('hex');
const unhex = (s: string) => Buffer.from(s, 'hex');

// Test vectors of RFC 6962 / 9162 hashing as published by transparency-dev/merkle (testonly/constants.go and
// proof/verify_test.go, the reference of Certificate Transparency's Go code), used as data.
const LEAF_INPUTS = [
  '',
  '00',
  '10',
  '2021',
  '3031',
  '40414243',
  '5051525354555657',
  '606162636465666768696a6b6c6d6e6f',
].map(unhex);
const ROOTS = [
  'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
];
// Complete subtrees of the 8-leaf tree, by level then index.
const NODE_HASHES = [
  [
    '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
    '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
    '0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7',
    '07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7',
    'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
    '4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658',
    'b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f',
    '46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1',
  ],
  [
    'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
    '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
    '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
    'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
  ],
  [
    'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
  ],
  ['5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328'],
];
// proof/verify_test.go numbers leaves from 1 there; here they are 0-based indexes.
const INCLUSION_VECTORS = [
  {
    index: 0,
    size: 8,
    proof: [
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ],
  },
  {
    index: 5,
    size: 8,
    proof: [
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  },
  { index: 2, size: 3, proof: ['fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125'] },
  {
    index: 1,
    size: 5,
    proof: [
      '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
    ],
  },
];
const CONSISTENCY_VECTORS = [
  { first: 1, second: 1, proof: [] as string[] },
  {
    first: 1,
    second: 8,
    proof: [
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ],
  },
  {
    first: 6,
    second: 8,
    proof: [
      '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  },
  {
    first: 2,
    second: 5,
    proof: [
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
    ],
  },
  {
    first: 6,
    second: 7,
    proof: [
      '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
      'b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  },
];

const REFERENCE_LEAVES = LEAF_INPUTS.map(leafHash);

/** Proof hashes from the ranges, each range hashed the naive way over the leaves (memoised per leaf list). */
const memo = new WeakMap<Hash[], Map<string, Hash>>();
function mth(leaves: Hash[], start: number, end: number): Hash {
  let cache = memo.get(leaves);
  if (!cache) memo.set(leaves, (cache = new Map()));
  const key = `${start}:${end}`;
  let hash = cache.get(key);
  if (!hash) {
    hash =
      end - start <= 1
        ? rootOf(leaves, start, end)
        : (() => {
            let k = 1;
            while (k * 2 < end - start) k *= 2;
            return nodeHash(mth(leaves, start, start + k), mth(leaves, start + k, end));
          })();
    cache.set(key, hash);
  }
  return hash;
}
const hashesOf = (leaves: Hash[], ranges: { start: number; end: number }[]) =>
  ranges.map((r) => mth(leaves, r.start, r.end));

// The RFC's definitions written out literally (section 2.1.3.1 and 2.1.4.1), over D[start:end] of the
// leaves: a second implementation of the proofs, against which the range-based one is checked.
function naivePath(leaves: Hash[], m: number, start: number, end: number): Hash[] {
  if (end - start <= 1) return [];
  let k = 1;
  while (k * 2 < end - start) k *= 2;
  return m < k
    ? [...naivePath(leaves, m, start, start + k), mth(leaves, start + k, end)]
    : [...naivePath(leaves, m - k, start + k, end), mth(leaves, start, start + k)];
}
function naiveSubproof(leaves: Hash[], m: number, start: number, end: number, b: boolean): Hash[] {
  if (m === end - start) return b ? [] : [mth(leaves, start, end)];
  let k = 1;
  while (k * 2 < end - start) k *= 2;
  return m <= k
    ? [...naiveSubproof(leaves, m, start, start + k, b), mth(leaves, start + k, end)]
    : [...naiveSubproof(leaves, m - k, start + k, end, false), mth(leaves, start, start + k)];
}

describe('RFC 9162 hashing, against the published test vectors', () => {
  it('gives the reference root of every size from 0 to 8, and SHA-256 of nothing for the empty tree', () => {
    expect(hex(EMPTY_ROOT)).toBe(ROOTS[0]);
    expect(hex(createHash('sha256').digest())).toBe(ROOTS[0]);
    for (let n = 0; n <= 8; n += 1) expect(hex(rootOf(REFERENCE_LEAVES.slice(0, n)))).toBe(ROOTS[n]);
  });

  it('gives the reference hash of every complete subtree of the 8-leaf tree', () => {
    NODE_HASHES.forEach((level, l) =>
      level.forEach((expected, index) => {
        expect(hex(rootOf(REFERENCE_LEAVES, index * 2 ** l, (index + 1) * 2 ** l))).toBe(expected);
      }),
    );
    expect(hex(nodeHash(REFERENCE_LEAVES[0], REFERENCE_LEAVES[1]))).toBe(NODE_HASHES[1][0]);
  });

  it('makes the published inclusion proofs, and verifies them', () => {
    for (const v of INCLUSION_VECTORS) {
      const tree = REFERENCE_LEAVES.slice(0, v.size);
      expect(hashesOf(tree, inclusionProofRanges(v.index, v.size)).map(hex)).toEqual(v.proof);
      expect(
        verifyInclusion(v.index, v.size, REFERENCE_LEAVES[v.index], v.proof.map(unhex), unhex(ROOTS[v.size])),
      ).toBe(true);
    }
  });

  it('makes the published consistency proofs, and verifies them', () => {
    for (const v of CONSISTENCY_VECTORS) {
      const tree = REFERENCE_LEAVES.slice(0, v.second);
      expect(hashesOf(tree, consistencyProofRanges(v.first, v.second)).map(hex)).toEqual(v.proof);
      expect(
        verifyConsistency(v.first, v.second, unhex(ROOTS[v.first]), unhex(ROOTS[v.second]), v.proof.map(unhex)),
      ).toBe(true);
    }
  });
});

describe('proofs for every tree up to 64 leaves, checked by brute force', () => {
  const LEAVES = Array.from({ length: 64 }, (_, i) => leafHash(Buffer.from(`event ${i}`)));
  const roots = Array.from({ length: 65 }, (_, n) => mth(LEAVES, 0, n));
  const flip = (h: Hash) => Buffer.from(h.map((b, i) => (i === 0 ? b ^ 1 : b)));

  // Findings are collected and compared once: some 100,000 checks in all.
  const same = (x: Hash[], y: Hash[]) => x.length === y.length && x.every((h, i) => h.equals(y[i]));

  it('inclusion: the RFC path of every leaf in every size verifies, and a wrong index, size, leaf, root or hash does not', () => {
    const wrong: string[] = [];
    const check = (ok: boolean, what: string) => ok || wrong.push(what);
    for (let n = 1; n <= 64; n += 1) {
      for (let i = 0; i < n; i += 1) {
        const at = `leaf ${i} of ${n}`;
        const proof = hashesOf(LEAVES, inclusionProofRanges(i, n));
        check(same(proof, naivePath(LEAVES, i, 0, n)), `${at}: not the RFC's PATH`);
        check(verifyInclusion(i, n, LEAVES[i], proof, roots[n]), `${at}: does not verify`);
        check(!verifyInclusion(i, n, LEAVES[(i + 1) % 64], proof, roots[n]), `${at}: verifies another leaf`);
        if (n > 1)
          check(!verifyInclusion((i + 1) % n, n, LEAVES[i], proof, roots[n]), `${at}: verifies at another index`);
        // The size only steers the walk, which sizes n and n + 1 may share (the signed root binds the
        // size); the proof must not verify for twice or half the size (transparency-dev/merkle's probes).
        check(!verifyInclusion(i, n * 2, LEAVES[i], proof, roots[n]), `${at}: verifies for twice the size`);
        if (n > 1)
          check(
            !verifyInclusion(i, Math.floor(n / 2), LEAVES[i], proof, roots[n]),
            `${at}: verifies for half the size`,
          );
        check(!verifyInclusion(i, n, LEAVES[i], proof, roots[n - 1]), `${at}: verifies against another root`);
        proof.forEach((_, j) =>
          check(
            !verifyInclusion(
              i,
              n,
              LEAVES[i],
              proof.map((h, x) => (x === j ? flip(h) : h)),
              roots[n],
            ),
            `${at}: verifies with hash ${j} flipped`,
          ),
        );
        check(!verifyInclusion(i, n, LEAVES[i], [...proof, roots[n]], roots[n]), `${at}: verifies with a hash added`);
        if (proof.length)
          check(!verifyInclusion(i, n, LEAVES[i], proof.slice(0, -1), roots[n]), `${at}: verifies with a hash removed`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('consistency: every (m, n) up to 64 verifies, and a wrong size, root or hash does not', () => {
    const wrong: string[] = [];
    const check = (ok: boolean, what: string) => ok || wrong.push(what);
    for (let n = 1; n <= 64; n += 1) {
      for (let m = 1; m <= n; m += 1) {
        const at = `${m} -> ${n}`;
        const proof = hashesOf(LEAVES, consistencyProofRanges(m, n));
        check(same(proof, naiveSubproof(LEAVES, m, 0, n, true)), `${at}: not the RFC's PROOF`);
        check(verifyConsistency(m, n, roots[m], roots[n], proof), `${at}: does not verify`);
        if (m < n) {
          check(!verifyConsistency(m, n, roots[m - 1], roots[n], proof), `${at}: verifies another first root`);
          check(!verifyConsistency(m, n, roots[m], roots[n - 1], proof), `${at}: verifies another second root`);
          check(!verifyConsistency(m, n, roots[n], roots[m], proof), `${at}: verifies with the roots swapped`);
          if (m > 1)
            check(!verifyConsistency(m - 1, n, roots[m], roots[n], proof), `${at}: verifies from another size`);
          proof.forEach((_, j) =>
            check(
              !verifyConsistency(
                m,
                n,
                roots[m],
                roots[n],
                proof.map((h, x) => (x === j ? flip(h) : h)),
              ),
              `${at}: verifies with hash ${j} flipped`,
            ),
          );
          check(
            !verifyConsistency(m, n, roots[m], roots[n], proof.slice(1)),
            `${at}: verifies with the first hash removed`,
          );
          check(!verifyConsistency(m, n, roots[m], roots[n], []), `${at}: verifies an empty proof`);
        } else {
          check(
            !verifyConsistency(m, n, roots[m], roots[n], [roots[n]]),
            `${at}: verifies a non-empty proof between equal sizes`,
          );
        }
      }
    }
    expect(wrong).toEqual([]);
  });

  it('a tree whose first leaves changed is not consistent with the old root', () => {
    const changed = [...LEAVES];
    changed[3] = leafHash(Buffer.from('forged'));
    for (let n = 5; n <= 64; n += 1) {
      const proof = hashesOf(changed, consistencyProofRanges(4, n));
      expect(verifyConsistency(4, n, roots[4], mth(changed, 0, n), proof)).toBe(false);
    }
  });

  it('every range hash is assembled from its complete subtrees', () => {
    const wrong: string[] = [];
    for (let n = 1; n <= 64; n += 1) {
      const ranges = [
        { start: 0, end: n },
        ...Array.from({ length: n }, (_, i) => inclusionProofRanges(i, n)).flat(),
        ...Array.from({ length: n }, (_, m) => consistencyProofRanges(m + 1, n)).flat(),
      ];
      for (const range of ranges) {
        const parts = subtreesOf(range);
        const inside = parts.every(
          (p) => p.index * 2 ** p.level >= range.start && (p.index + 1) * 2 ** p.level <= range.end,
        );
        const byNode = (node: { level: number; index: number }) =>
          mth(LEAVES, node.index * 2 ** node.level, (node.index + 1) * 2 ** node.level);
        if (!inside || !rangeHash(range, byNode).equals(mth(LEAVES, range.start, range.end)))
          wrong.push(`[${range.start}, ${range.end})`);
      }
    }
    expect(wrong).toEqual([]);
  });
});

describe('CompactRange', () => {
  const LEAVES = Array.from({ length: 300 }, (_, i) => leafHash(Buffer.from([i % 256, i >> 8])));

  it('has the root of every size while leaves are appended, and reports every complete subtree once', () => {
    const range = new CompactRange();
    const seen = new Map<string, Hash>();
    for (let n = 0; n < LEAVES.length; n += 1) {
      expect(range.root()).toEqual(rootOf(LEAVES.slice(0, n)));
      range.append(LEAVES[n], (node, hash) => {
        const key = `${node.level}:${node.index}`;
        expect(seen.has(key)).toBe(false);
        seen.set(key, hash);
        expect(hash).toEqual(rootOf(LEAVES, node.index * 2 ** node.level, (node.index + 1) * 2 ** node.level));
      });
    }
    // 300 leaves hold 300 + 150 + 75 + 37 + 18 + 9 + 4 + 2 + 1 complete subtrees.
    expect(seen.size).toBe(596);
  });

  it('resumes from the frontier of any size, as a checkpoint does from the last one', () => {
    for (const m of [0, 1, 2, 3, 7, 8, 100, 255, 256, 257]) {
      const frontier = frontierOf(m).map((node) =>
        rootOf(LEAVES, node.index * 2 ** node.level, (node.index + 1) * 2 ** node.level),
      );
      const range = new CompactRange(m, frontier);
      expect(range.root()).toEqual(rootOf(LEAVES.slice(0, m)));
      for (let n = m; n < LEAVES.length; n += 1) range.append(LEAVES[n]);
      expect(range.root()).toEqual(rootOf(LEAVES));
    }
    expect(() => new CompactRange(3, [])).toThrow(/2 hashes/);
  });
});
