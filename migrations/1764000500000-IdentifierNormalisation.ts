import { MigrationInterface, QueryRunner } from 'typeorm';
import { loadConfig } from '../src/config.js';
import { identifiersToRekey, rekeyIdentifiers } from '../src/modules/seller/identifier-rekey.js';
import { systemContext } from '../src/shared/context.js';
import { featureSettings } from '../src/shared/settings.js';

/**
 * Issue 14, point 8: identifiers are normalised by version 2 of the rules (src/modules/seller/identifier-hash.ts):
 * phones as E.164 read in the seller's country (libphonenumber-js), emails as their provider's canonical
 * mailbox (Gmail dots and +tags, documented subaddressing). `hash_version` records the rules each hash was
 * made with, and the stored identifiers are re-keyed here.
 *
 * The hashes are keyed (IDENTIFIER_HASH_KEY) and the raw values exist only encrypted (IDENTIFIER_ENCRYPTION_*),
 * so the re-keying is code, not SQL: this migration runs in the process that migrates (the server at start,
 * `eca migrate`, every command of the command line), with its configuration, and decrypts, checks and hashes
 * each value again (identifier-rekey.ts), all in this migration's transaction: either every identifier is
 * re-keyed or none is, and the server does not start on a database whose hashes it would not match.
 * A database without identifiers needs no key. Identifiers kept as a hash only cannot be re-keyed: they stay
 * at hash_version 1 (docs/identifiers.md). Stop servers of the previous version before migrating: they would
 * go on writing version-1 hashes.
 *
 * `down` drops the column; the hashes stay as version 2 made them.
 */
export class IdentifierNormalisation1764000500000 implements MigrationInterface {
  name = 'IdentifierNormalisation1764000500000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE seller_identifier ADD COLUMN hash_version smallint NOT NULL DEFAULT 1 CHECK (hash_version >= 1)`);
    if (await identifiersToRekey(q.manager) > 0) {
      const config = loadConfig(process.env);
      const ctx = { ...systemContext(q.connection, config, `migration ${this.name}`), db: q.manager };
      await rekeyIdentifiers(ctx, { hashKey: config.identifierHashKey, encryption: featureSettings().identifierEncryption });
    }
    // Written by the current code from now on (writeIdentifiers sets it explicitly as well).
    await q.query(`ALTER TABLE seller_identifier ALTER COLUMN hash_version SET DEFAULT 2`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE seller_identifier DROP COLUMN hash_version`);
  }
}
