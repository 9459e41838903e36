import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The file of an evidence item, once uploaded through `PUT /evidence/{id}/content` (src/http/evidence-content.http.ts):
 * its size, the media type read from its first bytes, and when it was stored. The file itself is in the evidence
 * storage under its SHA-256 (`evidence.sha256`, checked by the server while it streamed), encrypted at rest; the
 * columns are all set together, by the upload that stored it, and never unset.
 */
export class EvidenceContent1764400300000 implements MigrationInterface {
  name = 'EvidenceContent1764400300000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE evidence
        ADD COLUMN content_size bigint CHECK (content_size > 0),
        ADD COLUMN content_media_type text,
        ADD COLUMN content_stored_at timestamptz,
        ADD CONSTRAINT evidence_content_complete CHECK (
          (content_size IS NULL) = (content_media_type IS NULL) AND (content_size IS NULL) = (content_stored_at IS NULL))
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE evidence
        DROP CONSTRAINT evidence_content_complete,
        DROP COLUMN content_stored_at,
        DROP COLUMN content_media_type,
        DROP COLUMN content_size
    `);
  }
}
