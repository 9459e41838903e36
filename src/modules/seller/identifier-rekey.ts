import type { EntityManager } from 'typeorm';
import { chainHash, ChainedContent, GENESIS_HASH } from '../../shared/audit/audit-chain.js';
import { lockAuditChain } from '../../shared/audit/audit.service.js';
import type { RequestContext } from '../../shared/context.js';
import type { IdentifierEncryptionSettings } from '../../shared/settings.js';
import {
  decryptIdentifier,
  encryptIdentifier,
  identifierAssociatedData,
  IdentifierDecryptionError,
} from './identifier-cipher.js';
import { IDENTIFIER_HASH_VERSION, identifierHash } from './identifier-hash.js';
import { IdentifierKind } from './seller-identifier.entity.js';

/**
 * Re-keys the stored identifiers to the current normalisation rules (identifier-hash.ts), for the
 * migration that introduces them (migrations/1764000500000-IdentifierNormalisation.ts). A hash is keyed
 * (HMAC with IDENTIFIER_HASH_KEY) and the raw value exists only encrypted (AES-256-GCM under the
 * IDENTIFIER_ENCRYPTION_* keys, bound to its row's hash), so no SQL can do it: each value is decrypted,
 * checked against its stored hash (the configured hash key must be the one that made it), hashed under the
 * new rules with its seller's region, and, when its hash changes, encrypted again bound to the new hash
 * (under the current encryption key).
 *
 * - A seller that now holds two identifiers of one kind with one hash (`john.doe@gmail.com` and
 *   `johndoe+shop@gmail.com`) keeps one, the oldest with a value (else the oldest); the other is deleted,
 *   audited as `sellerIdentifier.merged` with the id it was merged into.
 * - An identifier recorded as a hash only (no encrypted value) cannot be re-keyed: it keeps its version-1
 *   hash and `hash_version = 1`. It still links wherever both versions spell the value alike (a phone with
 *   its country code, an email outside EMAIL_PROVIDERS, every other kind), not its other spellings.
 * - A value that does not decrypt (its key is not configured, or the row was altered) stops the re-keying,
 *   with its row id: configure IDENTIFIER_ENCRYPTION_OLD_KEYS, or set the row's value_encrypted (and
 *   encryption_key_id) to NULL to keep it as a hash only. Nothing is changed until every row is done (the
 *   migration's transaction).
 *
 * Runs inside one transaction (`ctx.db`); audit events are appended batch by batch under the chain's lock,
 * as the audit trail was when the migration was written (appendRekeyEvents): a migration runs before the
 * later ones, whatever the code of the day expects of the schema.
 */
export interface RekeySummary {
  /** Identifiers with an encrypted value, read and hashed again. */
  checked: number;
  /** Of those, whose hash changed (encrypted again under the new hash). */
  rekeyed: number;
  /** Deleted as a duplicate of another identifier of the same seller, kind and (new) hash. */
  merged: number;
  /** Kept as a hash only, at hash_version 1. */
  hashOnly: number;
}

export interface RekeyKeys {
  hashKey: string;
  encryption: IdentifierEncryptionSettings;
}

export class IdentifierRekeyError extends Error {}

interface Row {
  id: string;
  seller_id: string;
  kind: IdentifierKind;
  value_hash: string;
  value_encrypted: string | null;
  encryption_key_id: string | null;
  region: string | null;
}

interface Outcome {
  row: Row;
  hash: string;
  /** Set when the hash changed: the value encrypted again under the new hash. */
  encrypted?: { valueEncrypted: string; keyId: string };
  mergedInto?: string;
}

const UNIQUE = 'seller_identifier_seller_id_kind_value_hash_key';

/** Counts what the re-keying will read; 0 means there is nothing to do (and no key is needed). */
export async function identifiersToRekey(db: EntityManager): Promise<number> {
  const [{ n }] = await db.query(`SELECT count(*)::int AS n FROM seller_identifier WHERE hash_version < $1`, [
    IDENTIFIER_HASH_VERSION,
  ]);
  return n;
}

export async function rekeyIdentifiers(ctx: RequestContext, keys: RekeyKeys, batchSize = 2000): Promise<RekeySummary> {
  const summary: RekeySummary = { checked: 0, rekeyed: 0, merged: 0, hashOnly: 0 };
  await ctx.db.query(
    `CREATE TEMPORARY TABLE identifier_rekey (id bigint PRIMARY KEY, value_hash text, value_encrypted text, encryption_key_id text, merged_into bigint) ON COMMIT DROP`,
  );
  let afterSeller = '0';
  for (;;) {
    // Whole sellers per batch: duplicates are found among one seller's identifiers.
    let rows: Row[] = await ctx.db.query(
      `SELECT si.id::text, si.seller_id::text, si.kind, si.value_hash, si.value_encrypted, si.encryption_key_id, s.region
       FROM seller_identifier si JOIN seller s ON s.id = si.seller_id
       WHERE si.seller_id > $1 AND si.hash_version < $3 ORDER BY si.seller_id, si.id LIMIT $2`,
      [afterSeller, batchSize, IDENTIFIER_HASH_VERSION],
    );
    if (rows.length === 0) break;
    const full = rows.length === batchSize;
    const lastSeller = rows[rows.length - 1].seller_id;
    if (full) {
      const cut = rows.filter((row) => row.seller_id !== lastSeller);
      rows = cut.length
        ? cut
        : await ctx.db.query(
            `SELECT si.id::text, si.seller_id::text, si.kind, si.value_hash, si.value_encrypted, si.encryption_key_id, s.region
         FROM seller_identifier si JOIN seller s ON s.id = si.seller_id WHERE si.seller_id = $1 AND si.hash_version < $2 ORDER BY si.id`,
            [lastSeller, IDENTIFIER_HASH_VERSION],
          );
    }
    afterSeller = rows[rows.length - 1].seller_id;
    await rekeyBatch(ctx, keys, rows, summary);
  }
  const [{ changed }] = await ctx.db.query(`SELECT count(*)::int AS changed FROM identifier_rekey`);
  if (changed > 0) {
    // Hashes move between rows of one seller; the uniqueness is checked again once all have moved.
    await ctx.db.query(`ALTER TABLE seller_identifier DROP CONSTRAINT ${UNIQUE}`);
    await ctx.db.query(
      `DELETE FROM seller_identifier si USING identifier_rekey r WHERE r.id = si.id AND r.merged_into IS NOT NULL`,
    );
    await ctx.db.query(
      `UPDATE seller_identifier si SET value_hash = r.value_hash, value_encrypted = r.value_encrypted, encryption_key_id = r.encryption_key_id
       FROM identifier_rekey r WHERE r.id = si.id AND r.merged_into IS NULL`,
    );
    await ctx.db.query(`ALTER TABLE seller_identifier ADD CONSTRAINT ${UNIQUE} UNIQUE (seller_id, kind, value_hash)`);
  }
  await ctx.db.query(
    `UPDATE seller_identifier SET hash_version = $1 WHERE value_encrypted IS NOT NULL AND hash_version < $1`,
    [IDENTIFIER_HASH_VERSION],
  );
  await ctx.db.query(`DROP TABLE identifier_rekey`);
  return summary;
}

async function rekeyBatch(ctx: RequestContext, keys: RekeyKeys, rows: Row[], summary: RekeySummary): Promise<void> {
  const outcomes: Outcome[] = rows.map((row) => {
    if (row.value_encrypted === null) {
      summary.hashOnly += 1;
      return { row, hash: row.value_hash };
    }
    summary.checked += 1;
    let raw: string;
    try {
      raw = decryptIdentifier(keys.encryption, identifierAssociatedData(row.seller_id, row.kind, row.value_hash), {
        valueEncrypted: row.value_encrypted,
        keyId: row.encryption_key_id!,
      });
    } catch (error) {
      if (!(error instanceof IdentifierDecryptionError)) throw error;
      throw new IdentifierRekeyError(
        `seller_identifier ${row.id}: ${error.message}. Configure the key it was encrypted with ` +
          '(IDENTIFIER_ENCRYPTION_OLD_KEYS), or keep it as a hash only (value_encrypted and encryption_key_id set to NULL), and migrate again.',
      );
    }
    if (identifierHash(keys.hashKey, row.kind, raw, {}, 1) !== row.value_hash) {
      throw new IdentifierRekeyError(
        `seller_identifier ${row.id}: its stored hash was not made with the configured IDENTIFIER_HASH_KEY. ` +
          'Migrate with the key the identifiers were written with.',
      );
    }
    const hash = identifierHash(keys.hashKey, row.kind, raw, { region: row.region }, IDENTIFIER_HASH_VERSION);
    if (hash === row.value_hash) return { row, hash };
    summary.rekeyed += 1;
    return {
      row,
      hash,
      encrypted: encryptIdentifier(keys.encryption, identifierAssociatedData(row.seller_id, row.kind, hash), raw),
    };
  });

  // Per seller, kind and new hash: one identifier stays, the oldest with a value (else the oldest).
  const groups = new Map<string, Outcome[]>();
  for (const outcome of outcomes) {
    const key = `${outcome.row.seller_id}:${outcome.row.kind}:${outcome.hash}`;
    groups.set(key, [...(groups.get(key) ?? []), outcome]);
  }
  for (const group of groups.values()) {
    if (group.length < 2) continue;
    const keeper = group.find((o) => o.row.value_encrypted !== null) ?? group[0];
    for (const other of group) if (other !== keeper) other.mergedInto = keeper.row.id;
  }

  const written = outcomes.filter((o) => o.encrypted || o.mergedInto);
  if (written.length === 0) return;
  await ctx.db.query(
    `INSERT INTO identifier_rekey (id, value_hash, value_encrypted, encryption_key_id, merged_into)
     SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::bigint[])`,
    [
      written.map((o) => o.row.id),
      written.map((o) => (o.mergedInto ? null : o.hash)),
      written.map((o) => (o.mergedInto ? null : o.encrypted!.valueEncrypted)),
      written.map((o) => (o.mergedInto ? null : o.encrypted!.keyId)),
      written.map((o) => o.mergedInto ?? null),
    ],
  );
  summary.merged += written.filter((o) => o.mergedInto).length;
  // The hashes before and after (masked for analysts in the audit trail), never a raw value; one INSERT per batch.
  await appendRekeyEvents(
    ctx,
    written.map((o) =>
      o.mergedInto
        ? {
            action: 'sellerIdentifier.merged',
            entityType: 'SellerIdentifier',
            entityId: o.row.id,
            before: { sellerId: o.row.seller_id, kind: o.row.kind, valueHash: o.row.value_hash },
            after: { mergedIntoId: o.mergedInto, valueHash: o.hash, hashVersion: IDENTIFIER_HASH_VERSION },
          }
        : {
            action: 'sellerIdentifier.rekeyed',
            entityType: 'SellerIdentifier',
            entityId: o.row.id,
            before: { sellerId: o.row.seller_id, kind: o.row.kind, valueHash: o.row.value_hash, hashVersion: 1 },
            after: {
              sellerId: o.row.seller_id,
              kind: o.row.kind,
              valueHash: o.hash,
              hashVersion: IDENTIFIER_HASH_VERSION,
              encryptionKeyId: o.encrypted!.keyId,
            },
          },
    ),
  );
}

type RekeyEvent = Pick<ChainedContent, 'action' | 'entityType' | 'entityId'> & { before: object; after: object };

/**
 * Appends the re-keying's events to the hash chain (audit-chain.ts), written as the audit trail stood when
 * migration IdentifierNormalisation1764000500000 was written: the chain's columns only. The migration runs
 * before later migrations of the audit trail (the Merkle log's leaf index and signatures, 1764000950000, which
 * index and count these events as existing ones), so it cannot use the append of the day (audit.service.ts),
 * which expects their columns: frozen here like the SQL of any migration. Under the chain's lock, held to the
 * migration's COMMIT.
 */
async function appendRekeyEvents(ctx: RequestContext, events: RekeyEvent[]): Promise<void> {
  await lockAuditChain(ctx.db);
  const [{ head, seqs }] = await ctx.db.query(
    `SELECT (SELECT hash FROM audit_event ORDER BY seq DESC LIMIT 1) AS head,
            ARRAY(SELECT nextval(pg_get_serial_sequence('audit_event', 'seq'))::text FROM generate_series(1, $1)) AS seqs`,
    [events.length],
  );
  let prevHash: string = head ?? GENESIS_HASH;
  const at = new Date();
  const rows = events.map((event, index) => {
    const content: ChainedContent = {
      seq: seqs[index],
      at,
      actorId: null,
      actorLabel: `${ctx.principal.name} (${ctx.principal.role})`,
      action: event.action,
      entityType: event.entityType,
      entityId: event.entityId,
      before: JSON.parse(JSON.stringify(event.before)),
      after: JSON.parse(JSON.stringify(event.after)),
      requestId: ctx.requestId,
    };
    const hash = chainHash(prevHash, content);
    const row = { ...content, prevHash, hash };
    prevHash = hash;
    return row;
  });
  await ctx.db.query(
    `INSERT INTO audit_event (seq, at, actor_id, actor_label, action, entity_type, entity_id, before, after, request_id, prev_hash, hash)
     SELECT * FROM unnest($1::bigint[], $2::timestamptz[], $3::bigint[], $4::text[], $5::text[], $6::text[], $7::bigint[], $8::jsonb[], $9::jsonb[], $10::text[], $11::text[], $12::text[])`,
    [
      rows.map((r) => r.seq),
      rows.map((r) => r.at),
      rows.map((r) => r.actorId),
      rows.map((r) => r.actorLabel),
      rows.map((r) => r.action),
      rows.map((r) => r.entityType),
      rows.map((r) => r.entityId),
      rows.map((r) => JSON.stringify(r.before)),
      rows.map((r) => JSON.stringify(r.after)),
      rows.map((r) => r.requestId),
      rows.map((r) => r.prevHash),
      rows.map((r) => r.hash),
    ],
  );
}
