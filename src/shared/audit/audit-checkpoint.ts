import type { Logger } from 'pino';
import { DataSource, EntityManager } from 'typeorm';
import { AuditConfig } from '../config.js';
import { GENESIS_HASH } from './audit-chain.js';
import { checkCheckpoint, checkLeafSignature, signCheckpoint, SignedCheckpoint } from './audit-signing.js';
import { AuditTree, isStoredLevel, leafOfEvent } from './audit-tree.js';
import { CompactRange, Hash, NodeId } from './merkle.js';

/**
 * Signed checkpoints of the audit log (README, "Verifying the audit log"). A checkpoint commits to the
 * first `treeSize` events; the server signs one every AUDIT_CHECKPOINT_EVERY events or AUDIT_CHECKPOINT_SECONDS
 * seconds when the log grew (AuditCheckpointer), and on demand (`audit checkpoint`).
 *
 * Making one never holds the audit chain's lock and never scans the log: events commit in leaf order
 * under that lock, so what a statement sees is always a prefix of the log; the new root is the previous
 * checkpoint's compact range (read from audit_tree_node and checked against the previous signed root)
 * extended with the events since. The server signs only what it can vouch for:
 *
 * - a log that still gives the previous checkpoint's root (it never signs a fork of its own history);
 * - events whose signature is valid (an event added without the key is never covered), except those
 *   before signing began (audit_unsigned_prefix), which the first checkpoint covers: trust on first use;
 * - events that link to the one before (prev_hash), in leaf order without a gap.
 *
 * At the first event that fails, it signs the log up to there and reports the problem (logged as an
 * error by the checkpointer; `audit verify` names it).
 */

/** Advisory lock taken by checkpoint makers only (never by a request): instances take turns. */
const CHECKPOINT_LOCK = 72_100_002;
const BATCH = 500;

export interface StoredCheckpoint extends SignedCheckpoint {
  createdAt: Date;
}

interface CheckpointRow {
  size: string;
  root_hash: Buffer;
  created_at: Date;
  key_id: string;
  note: string;
  signature: Buffer;
}

function fromRow(row: CheckpointRow): StoredCheckpoint {
  const lines = row.note.split('\n');
  return {
    origin: lines[0],
    treeSize: Number(row.size),
    rootHash: row.root_hash.toString('base64'),
    timestamp: lines[3] ?? row.created_at.toISOString(),
    keyId: row.key_id,
    signature: row.signature.toString('base64'),
    note: row.note,
    createdAt: row.created_at,
  };
}

/** The checkpoint as a partner stores it (the JSON `audit checkpoint` prints). */
export function checkpointJson(checkpoint: SignedCheckpoint): SignedCheckpoint {
  const { origin, treeSize, rootHash, timestamp, keyId, signature, note } = checkpoint;
  return { origin, treeSize, rootHash, timestamp, keyId, signature, note };
}

export interface LatestCheckpoint {
  /** The largest checkpoint whose signature verifies; null if there is none. */
  checkpoint: StoredCheckpoint | null;
  /** Rows above it that do not verify: written by someone without the key (or with a key since dropped). */
  invalid: StoredCheckpoint[];
}

/** The latest checkpoint this log signed, and any row above it that it did not. */
export async function latestCheckpoint(db: EntityManager, audit: AuditConfig): Promise<LatestCheckpoint> {
  const invalid: StoredCheckpoint[] = [];
  let below: string | null = null;
  for (;;) {
    const rows: CheckpointRow[] = await db.query(
      `SELECT c.tree_size::text AS size, c.root_hash, c.created_at, c.key_id, c.note, c.signature FROM audit_checkpoint c
       WHERE $1::bigint IS NULL OR c.tree_size < $1::bigint ORDER BY c.tree_size DESC LIMIT 20`,
      [below],
    );
    for (const row of rows) {
      const checkpoint = fromRow(row);
      if (checkCheckpoint(audit, checkpoint) === 'valid') return { checkpoint, invalid };
      invalid.push(checkpoint);
    }
    if (rows.length < 20) return { checkpoint: null, invalid };
    below = rows[rows.length - 1].size;
  }
}

/** A checkpoint of exactly this size, if this log signed one. */
export async function checkpointOfSize(
  db: EntityManager,
  audit: AuditConfig,
  treeSize: number,
): Promise<StoredCheckpoint | null> {
  const [row]: CheckpointRow[] = await db.query(
    'SELECT tree_size::text AS size, root_hash, created_at, key_id, note, signature FROM audit_checkpoint WHERE tree_size = $1',
    [treeSize],
  );
  const checkpoint = row ? fromRow(row) : null;
  return checkpoint && checkCheckpoint(audit, checkpoint) === 'valid' ? checkpoint : null;
}

export interface CheckpointOutcome {
  /** The latest checkpoint after this run (the new one if one was made). */
  checkpoint: StoredCheckpoint | null;
  made: boolean;
  /** Another instance was making one (only when not waiting for the lock). */
  busy?: boolean;
  /** Why nothing, or less than the whole log, was signed: the log was tampered with. */
  problem?: string;
  /** Events read and checked for this checkpoint. */
  eventsChecked: number;
}

/**
 * Signs a checkpoint of the whole log as it is committed now, if it grew since the latest one. `wait`:
 * wait for another instance making one (the command line) instead of leaving it the work (the timer).
 */
export async function makeCheckpoint(
  dataSource: DataSource,
  audit: AuditConfig,
  { wait = true } = {},
): Promise<CheckpointOutcome> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    await runner.startTransaction();
    const db = runner.manager;
    if (wait) {
      await db.query('SELECT pg_advisory_xact_lock($1)', [CHECKPOINT_LOCK]);
    } else {
      const [{ locked }] = await db.query('SELECT pg_try_advisory_xact_lock($1) AS locked', [CHECKPOINT_LOCK]);
      if (!locked) {
        await runner.rollbackTransaction();
        return { checkpoint: null, made: false, busy: true, eventsChecked: 0 };
      }
    }
    const outcome = await extend(db, audit);
    if (outcome.made) await runner.commitTransaction();
    else await runner.rollbackTransaction();
    return outcome;
  } catch (error) {
    if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
    throw error;
  } finally {
    await runner.release();
  }
}

async function extend(db: EntityManager, audit: AuditConfig): Promise<CheckpointOutcome> {
  const [state] = await db.query(`
    SELECT (SELECT leaf_index + 1 FROM audit_event ORDER BY leaf_index DESC LIMIT 1)::text AS size,
           (SELECT tree_size FROM audit_unsigned_prefix)::text AS unsigned`);
  const size = Number(state.size ?? 0);
  const unsignedPrefix = Number(state.unsigned ?? 0);
  const { checkpoint: previous } = await latestCheckpoint(db, audit);
  const from = previous?.treeSize ?? 0;
  const unchanged = { checkpoint: previous, made: false, eventsChecked: 0 };
  if (size === from) return unchanged;
  if (size < from) {
    return {
      ...unchanged,
      problem: `the log holds ${size} events, fewer than the ${from} of the checkpoint of ${previous!.timestamp}: events were removed from its end (truncated); run \`audit verify\``,
    };
  }

  const tree = new AuditTree(db);
  let range = new CompactRange();
  if (previous) {
    range = new CompactRange(from, await tree.frontier(from).catch(() => frontierUnreadable(from)));
    if (!range.root().equals(Buffer.from(previous.rootHash, 'base64'))) {
      return {
        ...unchanged,
        problem: `the log no longer gives the root of the checkpoint of ${from} events (${previous.timestamp}): an event in it was altered, removed or reordered; no checkpoint is signed over it; run \`audit verify\``,
      };
    }
  }

  const nodes: { node: NodeId; hash: Hash }[] = [];
  const collect = (node: NodeId, hash: Hash) => isStoredLevel(node.level) && nodes.push({ node, hash });
  let prevHash: string = GENESIS_HASH;
  if (from > 0) {
    const [last] = await db.query('SELECT hash FROM audit_event WHERE leaf_index = $1', [from - 1]);
    prevHash = last?.hash ?? '';
  }
  let problem: string | undefined;
  let next = from;
  scan: while (next < size) {
    // (Cast columns renamed: ORDER BY a name of the output would sort the text.)
    const rows: {
      leaf: string;
      seq_text: string;
      hash: string;
      prev_hash: string;
      signature: Buffer | null;
      key_id: string | null;
    }[] = await db.query(
      `SELECT e.leaf_index::text AS leaf, e.seq::text AS seq_text, e.hash, e.prev_hash, e.signature, e.key_id FROM audit_event e
       WHERE e.leaf_index >= $1 AND e.leaf_index < $2 ORDER BY e.leaf_index LIMIT $3`,
      [next, size, BATCH],
    );
    if (!rows.length) {
      problem = `the event at leaf ${next} is missing (removed)`;
      break;
    }
    for (const row of rows) {
      const at = `event seq ${row.seq_text} (leaf ${row.leaf})`;
      if (Number(row.leaf) !== next) {
        problem = `the event at leaf ${next} is missing (removed)`;
        break scan;
      }
      if (row.prev_hash !== prevHash) {
        problem = `${at} does not link to the event before it: an event was removed or reordered`;
        break scan;
      }
      const leaf = leafOfEvent(row.hash);
      if (next >= unsignedPrefix) {
        const check = checkLeafSignature(audit, leaf, row.key_id, row.signature);
        if (check !== 'valid') {
          problem =
            check === 'unknown-key'
              ? `${at} is signed with key "${row.key_id}", which this server does not know (add it to AUDIT_OLD_PUBLIC_KEYS)`
              : `${at} has no valid signature: it was written by someone without the signing key`;
          break scan;
        }
      }
      range.append(leaf, collect);
      prevHash = row.hash;
      next += 1;
    }
  }
  const eventsChecked = next - from;
  if (range.size === from) return { ...unchanged, problem, eventsChecked };

  if (nodes.length) {
    const conflict = await storeNodes(db, nodes);
    if (conflict) return { ...unchanged, problem: conflict, eventsChecked };
  }
  const signed = signCheckpoint(audit, range.size, range.root());
  const inserted = await db.query(
    `INSERT INTO audit_checkpoint (tree_size, root_hash, created_at, key_id, note, signature) VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (tree_size) DO NOTHING RETURNING tree_size`,
    [
      signed.treeSize,
      range.root(),
      new Date(signed.timestamp),
      signed.keyId,
      signed.note,
      Buffer.from(signed.signature, 'base64'),
    ],
  );
  if (!inserted.length) {
    // A row of this size that this log did not sign (a valid one would have been the latest).
    return {
      ...unchanged,
      problem: `a checkpoint row of ${signed.treeSize} events that this log did not sign is in the way: it was written without the key; run \`audit verify\``,
      eventsChecked,
    };
  }
  return { checkpoint: { ...signed, createdAt: new Date(signed.timestamp) }, made: true, problem, eventsChecked };
}

function frontierUnreadable(size: number): never {
  throw new Error(`the audit log's first ${size} events cannot be read back`);
}

/**
 * Adds the complete subtrees the new events completed. One that exists already must hold the same hash:
 * a different one was written by someone else, and proofs served from it would be wrong.
 */
async function storeNodes(db: EntityManager, nodes: { node: NodeId; hash: Hash }[]): Promise<string | null> {
  const inserted: { level: number; idx: string }[] = await db.query(
    `INSERT INTO audit_tree_node (level, idx, hash)
     SELECT level, idx, decode(hash, 'hex') FROM unnest($1::smallint[], $2::bigint[], $3::text[]) AS t(level, idx, hash)
     ORDER BY level, idx
     ON CONFLICT (level, idx) DO NOTHING RETURNING level, idx::text`,
    [nodes.map((n) => n.node.level), nodes.map((n) => String(n.node.index)), nodes.map((n) => n.hash.toString('hex'))],
  );
  if (inserted.length === nodes.length) return null;
  const written = new Set(inserted.map((row) => `${row.level}:${row.idx}`));
  const existing = nodes.filter((n) => !written.has(`${n.node.level}:${n.node.index}`));
  const rows: { level: number; idx: string; hash: Buffer }[] = await db.query(
    `SELECT n.level, n.idx::text, n.hash FROM audit_tree_node n
     JOIN unnest($1::smallint[], $2::bigint[]) AS w(level, idx) ON n.level = w.level AND n.idx = w.idx`,
    [existing.map((n) => n.node.level), existing.map((n) => String(n.node.index))],
  );
  const stored = new Map(rows.map((row) => [`${row.level}:${row.idx}`, row.hash]));
  const wrong = existing.find((n) => !stored.get(`${n.node.level}:${n.node.index}`)?.equals(n.hash));
  return wrong
    ? `audit_tree_node holds a hash at level ${wrong.node.level}, index ${wrong.node.index} that the events do not give: it was written by someone else; delete that row as the database owner (it is recomputed) and run \`audit verify\``
    : null;
}

/**
 * The server's checkpoints: one at start, then every AUDIT_CHECKPOINT_SECONDS if the log grew, and soon
 * after an append crosses a multiple of AUDIT_CHECKPOINT_EVERY (appendEvents tells it, audit.service.ts).
 * Runs one at a time per instance; instances take turns through the checkpoint lock (the one that finds it
 * taken leaves the work to the other).
 */
export class AuditCheckpointer {
  private timer: NodeJS.Timeout | null = null;
  private soon: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;

  constructor(
    private readonly dataSource: DataSource,
    private readonly audit: AuditConfig,
    private readonly logger: Logger,
    /** Errors of an unreachable database: logged as warnings, the next run retries. */
    private readonly isUnavailable: (error: unknown) => boolean = () => false,
  ) {}

  /**
   * The first checkpoint is awaited, so that a server serves with one, but not for longer than
   * `firstWaitMs`: the first after the migration may read a long log (it goes on in the background).
   */
  async start(firstWaitMs = 5000): Promise<void> {
    let waited: NodeJS.Timeout | undefined;
    await Promise.race([
      this.run(),
      new Promise<void>((resolve) => {
        waited = setTimeout(resolve, firstWaitMs);
      }),
    ]);
    clearTimeout(waited);
    this.timer = setInterval(() => void this.run(), this.audit.checkpointSeconds * 1000);
    this.timer.unref();
  }

  /** An append of events [from, to) committed or is about to: checkpoint soon if it crossed a multiple of AUDIT_CHECKPOINT_EVERY. */
  appended(from: number, to: number): void {
    const every = this.audit.checkpointEvery;
    if (this.stopped || this.soon || Math.floor(to / every) === Math.floor(from / every)) return;
    // After the appending change's COMMIT, which follows at once.
    this.soon = setTimeout(() => {
      this.soon = null;
      void this.run();
    }, 50);
    this.soon.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    if (this.soon) clearTimeout(this.soon);
    await this.running;
  }

  private run(): Promise<void> {
    if (this.stopped || this.running) return this.running ?? Promise.resolve();
    this.running = (async () => {
      try {
        const outcome = await makeCheckpoint(this.dataSource, this.audit, { wait: false });
        if (outcome.problem)
          this.logger.error(
            { problem: outcome.problem, treeSize: outcome.checkpoint?.treeSize ?? 0 },
            `audit log checkpoint: ${outcome.problem}`,
          );
        if (outcome.made)
          this.logger.info(
            { treeSize: outcome.checkpoint!.treeSize, eventsChecked: outcome.eventsChecked },
            'audit log checkpoint signed',
          );
      } catch (error) {
        if (this.isUnavailable(error))
          this.logger.warn({ err: error }, 'audit log checkpoint postponed: the database is unavailable');
        else this.logger.error({ err: error }, 'audit log checkpoint failed');
      } finally {
        this.running = null;
      }
    })();
    return this.running;
  }
}
