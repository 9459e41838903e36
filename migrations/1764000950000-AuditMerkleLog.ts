import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The audit trail becomes a log outsiders can verify, in the manner of Certificate Transparency (RFC 9162;
 * src/shared/audit/, README "Verifying the audit log"):
 *
 * - every event is a leaf of an append-only Merkle tree, at a dense `leaf_index` (0, 1, 2, ... in commit
 *   order; `seq` may have gaps where a change rolled back after taking its number). The leaf is the event's
 *   chain `hash` (hex-decoded), which covers its content and the previous hash. Existing events get their
 *   leaf index here, in `seq` order;
 * - events appended from now on carry an Ed25519 `signature` of their leaf hash and the signing key's id.
 *   The key is outside the database: no role can sign. Events that exist now cannot be signed by a
 *   migration: their number is kept in `audit_unsigned_prefix`, and the first checkpoint the server signs
 *   covers them (trust on first use);
 * - `audit_checkpoint`: signed tree heads (size, root, time, key id, signature over a note text);
 * - `audit_tree_node`: hashes of complete subtrees at every fourth level (16, 256, 4096... leaves), written
 *   with each checkpoint, from which roots and proofs are computed without reading the whole log.
 *
 * The API's role may add rows (it appends events and makes checkpoints) but change none: UPDATE is taken
 * back on the new tables, and it never had DELETE. What it adds without the key does not verify.
 */
export class AuditMerkleLog1764000950000 implements MigrationInterface {
  name = 'AuditMerkleLog1764000950000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE audit_event ADD COLUMN leaf_index bigint, ADD COLUMN signature bytea, ADD COLUMN key_id text;
      UPDATE audit_event e SET leaf_index = o.leaf_index
        FROM (SELECT seq, row_number() OVER (ORDER BY seq) - 1 AS leaf_index FROM audit_event) o
        WHERE e.seq = o.seq;
      ALTER TABLE audit_event ALTER COLUMN leaf_index SET NOT NULL,
        ADD CONSTRAINT audit_event_leaf_index_key UNIQUE (leaf_index),
        ADD CONSTRAINT audit_event_signed_with_key CHECK ((signature IS NULL) = (key_id IS NULL));

      CREATE TABLE audit_unsigned_prefix (
        tree_size bigint NOT NULL CHECK (tree_size >= 0)
      );
      CREATE UNIQUE INDEX audit_unsigned_prefix_one_row ON audit_unsigned_prefix ((true));
      INSERT INTO audit_unsigned_prefix (tree_size) SELECT count(*) FROM audit_event;

      CREATE TABLE audit_checkpoint (
        tree_size bigint PRIMARY KEY CHECK (tree_size > 0),
        root_hash bytea NOT NULL,
        created_at timestamptz(3) NOT NULL,
        key_id text NOT NULL,
        note text NOT NULL,
        signature bytea NOT NULL
      );

      CREATE TABLE audit_tree_node (
        level smallint NOT NULL CHECK (level > 0),
        idx bigint NOT NULL CHECK (idx >= 0),
        hash bytea NOT NULL,
        PRIMARY KEY (level, idx)
      );

      REVOKE UPDATE, DELETE ON audit_checkpoint, audit_tree_node FROM eca_app;
      REVOKE INSERT, UPDATE, DELETE ON audit_unsigned_prefix FROM eca_app;
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP TABLE audit_tree_node, audit_checkpoint, audit_unsigned_prefix;
      ALTER TABLE audit_event DROP CONSTRAINT audit_event_signed_with_key, DROP CONSTRAINT audit_event_leaf_index_key,
        DROP COLUMN key_id, DROP COLUMN signature, DROP COLUMN leaf_index;
    `);
  }
}
