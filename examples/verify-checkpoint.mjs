// A partner's check of the API's audit log, in the manner of Certificate Transparency (RFC 9162): is the
// log still the one whose checkpoint we kept, only grown? Uses nothing but Node's crypto and fetch.
//
//   node examples/verify-checkpoint.mjs [checkpoint-file] [--save]
//
// checkpoint-file (default $CHECKPOINT_FILE, else audit-checkpoint.json): a checkpoint kept earlier, as
// `npm run --silent cli -- audit checkpoint > audit-checkpoint.json` prints it (or an auditCheckpoint
// answer). When there is none yet, the current one is checked and kept: trust on first use.
// --save: after a successful check, keep the latest checkpoint instead (the next run starts from it).
// API_URL (default http://localhost:4000/graphql) and an API key of any role: $API_KEY, else
// $BRAND_PARTNER_KEY, else the demo's BRAND_PARTNER key in .demo-keys.txt.
// The public keys seen are pinned beside the file (<file>.keys.json): a key id whose key changes fails.
// Exit status 0: consistent; 1: not (or the check could not be made).
import { createHash, createPublicKey, verify } from 'node:crypto';
import fs from 'node:fs';

const API_URL = process.env.API_URL ?? 'http://localhost:4000/graphql';
const args = process.argv.slice(2);
const save = args.includes('--save');
const file = args.find((a) => !a.startsWith('--')) ?? process.env.CHECKPOINT_FILE ?? 'audit-checkpoint.json';
const pinFile = `${file}.keys.json`;

const failures = [];
const report = (line) => console.log(line);
const fail = (line) => {
  failures.push(line);
  console.log(`FAILED: ${line}`);
};

function apiKey() {
  const key = process.env.API_KEY ?? process.env.BRAND_PARTNER_KEY;
  if (key) return key;
  const line = fs
    .readFileSync(process.env.DEMO_KEYS_FILE ?? '.demo-keys.txt', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('BRAND_PARTNER '));
  if (!line) throw new Error('no API key: set API_KEY');
  return line.split(/\s+/)[1];
}

async function gql(query, variables = {}) {
  const response = await fetch(API_URL, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey()}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = await response.json();
  if (body.errors) throw new Error(`${response.status}: ${body.errors.map((e) => e.message).join('; ')}`);
  return body.data;
}

// RFC 9162 section 2.1: node hash = SHA-256(0x01 || left || right).
const nodeHash = (left, right) =>
  createHash('sha256')
    .update(Buffer.from([1]))
    .update(left)
    .update(right)
    .digest();
const isPowerOfTwo = (n) => n > 0 && 2 ** Math.round(Math.log2(n)) === n;

// RFC 9162 section 2.1.4.2: verify that the tree of `second` leaves extends the tree of `first` leaves.
function verifyConsistency(first, second, firstRoot, secondRoot, proof) {
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
      while (fn % 2 === 0 && fn !== 0) {
        fn = Math.floor(fn / 2);
        sn = Math.floor(sn / 2);
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && fr.equals(firstRoot) && sr.equals(secondRoot);
}

// A checkpoint is good when its note is signed by the key of its id and says what its fields say.
function checkCheckpoint(label, checkpoint, keys) {
  const key = keys.get(checkpoint.keyId);
  if (!key) {
    fail(`${label}: signed with key "${checkpoint.keyId}", which the log does not publish (GET /audit/keys)`);
    return false;
  }
  const [origin, size, root, timestamp, end] = checkpoint.note.split('\n');
  const agrees =
    origin === checkpoint.origin &&
    Number(size) === checkpoint.treeSize &&
    root === checkpoint.rootHash &&
    new Date(timestamp).getTime() === new Date(checkpoint.timestamp).getTime() &&
    end === '';
  let signed = false;
  try {
    signed = verify(null, Buffer.from(checkpoint.note, 'utf8'), key, Buffer.from(checkpoint.signature, 'base64'));
  } catch {
    signed = false;
  }
  if (!signed || !agrees) {
    fail(
      `${label}: ${signed ? 'its fields differ from the signed note' : "bad signature: not signed with the log's key, or changed since"}`,
    );
    return false;
  }
  report(
    `${label}: ${checkpoint.treeSize} events, signed ${checkpoint.timestamp} with key ${checkpoint.keyId}: signature OK`,
  );
  return true;
}

const CHECKPOINT = '{ auditCheckpoint { origin treeSize rootHash timestamp keyId signature note } }';

try {
  // 1. The log's public keys, pinned: a key id must keep its key.
  const published = await (await fetch(new URL('/audit/keys', API_URL))).json();
  const pins = fs.existsSync(pinFile) ? JSON.parse(fs.readFileSync(pinFile, 'utf8')) : {};
  const keys = new Map();
  for (const { keyId, publicKey } of published.keys) {
    if (pins[keyId] && pins[keyId] !== publicKey) {
      fail(`key ${keyId} is not the key it was when first seen: the log's keys were replaced`);
      continue;
    }
    if (!pins[keyId]) report(`key ${keyId}: first seen, pinned in ${pinFile}`);
    pins[keyId] = publicKey;
    keys.set(
      keyId,
      createPublicKey({
        key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(publicKey, 'base64').toString('base64url') },
        format: 'jwk',
      }),
    );
  }

  // 2. The latest checkpoint, and the one kept (the current one on first use).
  const { auditCheckpoint: latest } = await gql(CHECKPOINT);
  if (!latest) throw new Error('the log has no signed checkpoint yet');
  const firstUse = !fs.existsSync(file);
  const stored = firstUse
    ? latest
    : (() => {
        const value = JSON.parse(fs.readFileSync(file, 'utf8'));
        return value?.data?.auditCheckpoint ?? value?.auditCheckpoint ?? value;
      })();
  if (firstUse) report(`no checkpoint in ${file} yet: the current one is trusted on first use`);
  const storedOk = checkCheckpoint(`kept checkpoint (${file})`, stored, keys);
  const latestOk = checkCheckpoint('latest checkpoint', latest, keys);
  const age = (Date.now() - new Date(latest.timestamp).getTime()) / 1000;
  report(`the latest checkpoint was signed ${age < 120 ? `${Math.round(age)} s` : `${Math.round(age / 60)} min`} ago`);

  // 3. The latest must extend the kept one: never smaller, and a consistency proof between them.
  if (storedOk && latestOk) {
    if (latest.treeSize < stored.treeSize) {
      fail(
        `the log now holds ${latest.treeSize} events, fewer than the ${stored.treeSize} of the kept checkpoint: events were removed (truncated)`,
      );
    } else {
      const { auditConsistencyProof: proof } = await gql(
        'query($from: Int!, $to: Int!) { auditConsistencyProof(fromSize: $from, toSize: $to) }',
        { from: stored.treeSize, to: latest.treeSize },
      );
      const ok = verifyConsistency(
        stored.treeSize,
        latest.treeSize,
        Buffer.from(stored.rootHash, 'base64'),
        Buffer.from(latest.rootHash, 'base64'),
        proof.map((h) => Buffer.from(h, 'base64')),
      );
      if (ok)
        report(
          `consistency proof ${stored.treeSize} -> ${latest.treeSize} events (${proof.length} hashes): OK, the log only grew`,
        );
      else
        fail(
          `consistency proof ${stored.treeSize} -> ${latest.treeSize} events does not verify: the log is not the one of the kept checkpoint (rewritten)`,
        );
    }
  }

  if (failures.length === 0) {
    fs.writeFileSync(pinFile, `${JSON.stringify(pins, null, 2)}\n`);
    if (firstUse || save) {
      fs.writeFileSync(file, `${JSON.stringify(latest, null, 2)}\n`);
      report(`kept the latest checkpoint (${latest.treeSize} events) in ${file}`);
    }
  }
} catch (error) {
  fail(`the check could not be made: ${error.message}`);
}

console.log(
  failures.length === 0
    ? 'RESULT: the audit log is consistent with the kept checkpoint'
    : `RESULT: NOT consistent (${failures.length} problem(s))`,
);
process.exitCode = failures.length === 0 ? 0 : 1;
