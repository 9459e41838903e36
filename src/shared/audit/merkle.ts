import { createHash } from 'node:crypto';

/**
 * The append-only Merkle tree of RFC 9162 (Certificate Transparency 2.0), section 2.1, over the audit
 * events: the same hashing as Go's sumdb/tlog, Sigstore's Rekor and every CT log, so that anyone can check
 * a proof with their own code. Pure: no database; the tree's storage is in audit-tree.ts.
 *
 * - leaf hash: SHA-256(0x00 || leaf), node hash: SHA-256(0x01 || left || right);
 * - the tree over n leaves splits at k, the largest power of two smaller than n: MTH(D[0:k]) and MTH(D[k:n]);
 * - the empty tree's hash is SHA-256 of nothing.
 *
 * A *complete subtree* is addressed by (level, index): the 2^level leaves from index * 2^level. Every
 * subtree the RFC's recursion meets is either complete or a right edge [a, n) whose start a is aligned,
 * so every hash of a proof or a root is made of complete subtrees (which audit-tree.ts stores).
 */

export type Hash = Buffer;

export interface NodeId {
  level: number;
  index: number;
}

/** A range of leaves [start, end) whose tree hash MTH(D[start:end]) is asked for. */
export interface LeafRange {
  start: number;
  end: number;
}

export const EMPTY_ROOT: Hash = createHash('sha256').digest();

export function leafHash(leaf: Buffer): Hash {
  return createHash('sha256').update(LEAF_PREFIX).update(leaf).digest();
}

export function nodeHash(left: Hash, right: Hash): Hash {
  return createHash('sha256').update(NODE_PREFIX).update(left).update(right).digest();
}

const LEAF_PREFIX = Buffer.from([0]);
const NODE_PREFIX = Buffer.from([1]);

/** The largest power of two smaller than n (n >= 2): where the RFC splits a tree of n leaves. */
export function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

const isPowerOfTwo = (n: number) => Number.isInteger(n) && n >= 1 && 2 ** Math.round(Math.log2(n)) === n;

/** The complete subtree that covers exactly [start, end), or null if the range is not one. */
export function completeSubtree({ start, end }: LeafRange): NodeId | null {
  const size = end - start;
  if (!isPowerOfTwo(size) || start % size !== 0) return null;
  return { level: Math.round(Math.log2(size)), index: start / size };
}

/** MTH(D[start:end]) computed the RFC's way from the leaf hashes: the reference the tests compare with. */
export function rootOf(leafHashes: Hash[], start = 0, end = leafHashes.length): Hash {
  const n = end - start;
  if (n === 0) return EMPTY_ROOT;
  if (n === 1) return leafHashes[start];
  const k = splitPoint(n);
  return nodeHash(rootOf(leafHashes, start, start + k), rootOf(leafHashes, start + k, end));
}

/** The complete subtrees whose hashes make up MTH(D[start:end]) by the RFC's recursion, left to right. */
export function subtreesOf(range: LeafRange): NodeId[] {
  const whole = completeSubtree(range);
  if (whole) return [whole];
  const k = splitPoint(range.end - range.start);
  return [
    ...subtreesOf({ start: range.start, end: range.start + k }),
    ...subtreesOf({ start: range.start + k, end: range.end }),
  ];
}

/** MTH(D[start:end]) from the hashes of its complete subtrees (`hashOf` answers every one of subtreesOf). */
export function rangeHash(range: LeafRange, hashOf: (node: NodeId) => Hash): Hash {
  if (range.end === range.start) return EMPTY_ROOT;
  const whole = completeSubtree(range);
  if (whole) return hashOf(whole);
  const k = splitPoint(range.end - range.start);
  return nodeHash(
    rangeHash({ start: range.start, end: range.start + k }, hashOf),
    rangeHash({ start: range.start + k, end: range.end }, hashOf),
  );
}

/**
 * The ranges whose hashes form the inclusion proof of leaf `index` in the tree of `size` leaves, in the
 * RFC's order (PATH(m, D[n]), section 2.1.3.1): the sibling nearest the leaf first.
 */
export function inclusionProofRanges(index: number, size: number): LeafRange[] {
  if (!(index >= 0 && index < size)) throw new RangeError(`leaf ${index} is not in a tree of ${size} leaves`);
  const out: LeafRange[] = [];
  const path = (start: number, end: number) => {
    if (end - start === 1) return;
    const k = splitPoint(end - start);
    if (index < start + k) {
      path(start, start + k);
      out.push({ start: start + k, end });
    } else {
      path(start + k, end);
      out.push({ start, end: start + k });
    }
  };
  path(0, size);
  return out;
}

/**
 * The ranges whose hashes form the consistency proof between the trees of `first` and `second` leaves
 * (PROOF(m, D[n]) = SUBPROOF(m, D[n], true), section 2.1.4.1). Empty when first == second.
 */
export function consistencyProofRanges(first: number, second: number): LeafRange[] {
  if (!(first >= 1 && first <= second)) throw new RangeError(`no consistency proof from ${first} to ${second} leaves`);
  const out: LeafRange[] = [];
  const subproof = (start: number, end: number, complete: boolean) => {
    if (first === end) {
      if (!complete) out.push({ start, end });
      return;
    }
    const k = splitPoint(end - start);
    if (first - start <= k) {
      subproof(start, start + k, complete);
      out.push({ start: start + k, end });
    } else {
      subproof(start + k, end, false);
      out.push({ start, end: start + k });
    }
  };
  subproof(0, second, true);
  return out;
}

/** RFC 9162 section 2.1.3.2: does `proof` show leaf `leaf` at `index` in the tree of `size` leaves with `root`? */
export function verifyInclusion(index: number, size: number, leaf: Hash, proof: Hash[], root: Hash): boolean {
  if (!(index >= 0 && index < size)) return false;
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of proof) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(p, r);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && r.equals(root);
}

/** RFC 9162 section 2.1.4.2: does `proof` show the tree of `second` leaves (`secondRoot`) extends the one of `first`? */
export function verifyConsistency(
  first: number,
  second: number,
  firstRoot: Hash,
  secondRoot: Hash,
  proof: Hash[],
): boolean {
  if (!(first >= 1 && first <= second)) return false;
  if (first === second) return proof.length === 0 && firstRoot.equals(secondRoot);
  if (proof.length === 0) return false;
  const path = isPowerOfTwo(first) ? [firstRoot, ...proof] : proof;
  let fn = first - 1;
  let sn = second - 1;
  while (fn % 2 === 1) {
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  let fr = path[0];
  let sr = path[0];
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && fr.equals(firstRoot) && sr.equals(secondRoot);
}

/** The complete subtrees of a tree of `size` leaves along its right edge (its compact range), largest first. */
export function frontierOf(size: number): NodeId[] {
  const out: NodeId[] = [];
  let start = 0;
  for (let level = Math.floor(Math.log2(Math.max(size, 1))); level >= 0; level -= 1) {
    const width = 2 ** level;
    if (size - start >= width) {
      out.push({ level, index: start / width });
      start += width;
    }
  }
  return out;
}

/**
 * The compact range [0, size) of RFC 9162's log (the "frontier"): the hashes of the complete subtrees of
 * frontierOf(size), enough to append leaves and to compute the root without the leaves before. Appending
 * a leaf reports every complete subtree it completes (`onNode`), which is how the stored tree grows.
 */
export class CompactRange {
  constructor(
    public size = 0,
    private readonly hashes: Hash[] = [],
  ) {
    if (hashes.length !== frontierOf(size).length)
      throw new Error(`a compact range of ${size} leaves has ${frontierOf(size).length} hashes, not ${hashes.length}`);
  }

  append(leaf: Hash, onNode?: (node: NodeId, hash: Hash) => void): void {
    this.size += 1;
    let hash = leaf;
    let level = 0;
    onNode?.({ level: 0, index: this.size - 1 }, hash);
    for (let s = this.size; s % 2 === 0; s /= 2) {
      hash = nodeHash(this.hashes.pop()!, hash);
      level += 1;
      onNode?.({ level, index: this.size / 2 ** level - 1 }, hash);
    }
    this.hashes.push(hash);
  }

  root(): Hash {
    if (this.hashes.length === 0) return EMPTY_ROOT;
    let root = this.hashes[this.hashes.length - 1];
    for (let i = this.hashes.length - 2; i >= 0; i -= 1) root = nodeHash(this.hashes[i], root);
    return root;
  }
}
