import { EntityManager } from 'typeorm';
import {
  consistencyProofRanges,
  frontierOf,
  Hash,
  inclusionProofRanges,
  LeafRange,
  leafHash,
  NodeId,
  nodeHash,
  rangeHash,
  subtreesOf,
} from './merkle.js';

/**
 * The audit log's Merkle tree as stored in PostgreSQL: leaves are the events' chain hashes (audit_event,
 * by leaf_index), and the hashes of complete subtrees at every fourth level (16, 256, 4,096... leaves) are
 * kept in audit_tree_node, written with each checkpoint (audit-checkpoint.ts). Any complete subtree is then
 * at most 16 stored hashes or leaves away: a root or a proof reads a few dozen rows, whatever the size of
 * the log. A stored hash that is missing is recomputed from the level below, down to the leaves, so that
 * the answer never depends on what was stored, only its cost does.
 */

/** Levels of complete subtrees kept in audit_tree_node: 4, 8, 12... (a tile of 16 per step, as in Go's tlog). */
export const STORED_LEVEL_STEP = 4;
export const isStoredLevel = (level: number): boolean => level > 0 && level % STORED_LEVEL_STEP === 0;

const key = (node: NodeId) => `${node.level}:${node.index}`;

/** The leaf of an event: its chain hash (hex), hex-decoded, hashed as RFC 9162 says. */
export const leafOfEvent = (chainHash: string): Hash => leafHash(Buffer.from(chainHash, 'hex'));

export class AuditTree {
  constructor(private readonly db: EntityManager) {}

  /** Hashes of complete subtrees, keyed `level:index`. Throws if one reaches past the last event. */
  async subtreeHashes(nodes: NodeId[]): Promise<Map<string, Hash>> {
    const known = new Map<string, Hash>();
    const tried = new Set<string>();
    for (let round = 0; ; round += 1) {
      const storedWanted = new Map<string, NodeId>();
      const leavesWanted = new Set<number>();
      const compute = (node: NodeId): Hash | null => {
        const k = key(node);
        const cached = known.get(k);
        if (cached) return cached;
        if (node.level === 0) {
          leavesWanted.add(node.index);
          return null;
        }
        if (isStoredLevel(node.level) && !tried.has(k)) {
          storedWanted.set(k, node);
          return null;
        }
        const left = compute({ level: node.level - 1, index: node.index * 2 });
        const right = compute({ level: node.level - 1, index: node.index * 2 + 1 });
        if (!left || !right) return null;
        const hash = nodeHash(left, right);
        known.set(k, hash);
        return hash;
      };
      const missing = nodes.filter((node) => !compute(node));
      if (!missing.length) return new Map(nodes.map((node) => [key(node), known.get(key(node))!]));
      if (round > 64) throw new Error('audit tree: subtree hashes could not be resolved');
      const leafIndexes = [...leavesWanted];
      const [stored, leaves] = await Promise.all([
        storedWanted.size ? this.storedNodes([...storedWanted.values()]) : Promise.resolve([]),
        leafIndexes.length ? this.leaves(leafIndexes) : Promise.resolve([]),
      ]);
      for (const k of storedWanted.keys()) tried.add(k);
      for (const { node, hash } of stored) known.set(key(node), hash);
      for (const { index, hash } of leaves) known.set(key({ level: 0, index }), hash);
      const absent = leafIndexes.filter((index) => !known.has(key({ level: 0, index })));
      if (absent.length) throw new AuditTreeError(`the audit log has no event at leaf ${Math.min(...absent)}`);
    }
  }

  /** MTH(D[start:end]) of each range. */
  async rangeHashes(ranges: LeafRange[]): Promise<Hash[]> {
    const hashes = await this.subtreeHashes(ranges.flatMap(subtreesOf));
    return ranges.map((range) => rangeHash(range, (node) => hashes.get(key(node))!));
  }

  async root(size: number): Promise<Hash> {
    const [root] = await this.rangeHashes([{ start: 0, end: size }]);
    return root;
  }

  /** The hashes of the compact range [0, size): what a checkpoint extends. */
  async frontier(size: number): Promise<Hash[]> {
    const nodes = frontierOf(size);
    const hashes = await this.subtreeHashes(nodes);
    return nodes.map((node) => hashes.get(key(node))!);
  }

  inclusionProof(index: number, size: number): Promise<Hash[]> {
    return this.rangeHashes(inclusionProofRanges(index, size));
  }

  consistencyProof(first: number, second: number): Promise<Hash[]> {
    return this.rangeHashes(consistencyProofRanges(first, second));
  }

  /** Several inclusion proofs with one round of reads (the events of a page). */
  async inclusionProofs(requests: { index: number; size: number }[]): Promise<Hash[][]> {
    const ranges = requests.map((r) => inclusionProofRanges(r.index, r.size));
    const hashes = await this.rangeHashes(ranges.flat());
    let at = 0;
    return ranges.map((list) => {
      const proof = hashes.slice(at, at + list.length);
      at += list.length;
      return proof;
    });
  }

  private async storedNodes(nodes: NodeId[]): Promise<{ node: NodeId; hash: Hash }[]> {
    const rows: { level: number; idx: string; hash: Buffer }[] = await this.db.query(
      `SELECT n.level, n.idx::text AS idx, n.hash FROM audit_tree_node n
       JOIN unnest($1::smallint[], $2::bigint[]) AS w(level, idx) ON n.level = w.level AND n.idx = w.idx`,
      [nodes.map((n) => n.level), nodes.map((n) => String(n.index))],
    );
    return rows.map((row) => ({ node: { level: row.level, index: Number(row.idx) }, hash: row.hash }));
  }

  private async leaves(indexes: number[]): Promise<{ index: number; hash: Hash }[]> {
    const rows: { leaf_index: string; hash: string }[] = await this.db.query(
      'SELECT leaf_index::text AS leaf_index, hash FROM audit_event WHERE leaf_index = ANY($1::bigint[])',
      [indexes.map(String)],
    );
    return rows.map((row) => ({ index: Number(row.leaf_index), hash: leafOfEvent(row.hash) }));
  }
}

/** A proof or root asked of a tree the log does not hold. */
export class AuditTreeError extends Error {}
