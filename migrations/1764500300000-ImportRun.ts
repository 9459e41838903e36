import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `import_run`: one import of a file by the command line (`eca import sellers|listings|leads FILE`,
 * src/import/). Its progress (`lines_done`, the last line of the file whose chunk committed) is written in the
 * same transaction as that chunk's rows, so that an interrupted import resumes after the last committed chunk
 * and never writes a row twice. A file is known by its SHA-256, the kind and who imports it (`actor`).
 * Only the owner (the command line) uses it: the API's role has no privilege on it.
 */
export class ImportRun1764500300000 implements MigrationInterface {
  name = 'ImportRun1764500300000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE import_run (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        kind text NOT NULL CHECK (kind IN ('sellers', 'listings', 'leads')),
        file_sha256 text NOT NULL CHECK (file_sha256 ~ '^[0-9a-f]{64}$'),
        file_name text NOT NULL,
        format text NOT NULL CHECK (format IN ('csv', 'jsonl')),
        actor text NOT NULL,
        principal_id bigint REFERENCES principal(id),
        lines_done int NOT NULL DEFAULT 0 CHECK (lines_done >= 0),
        imported int NOT NULL DEFAULT 0 CHECK (imported >= 0),
        rejected int NOT NULL DEFAULT 0 CHECK (rejected >= 0),
        status text NOT NULL DEFAULT 'RUNNING' CHECK (status IN ('RUNNING', 'FINISHED', 'ABANDONED')),
        started_at timestamptz(3) NOT NULL DEFAULT now(),
        updated_at timestamptz(3) NOT NULL DEFAULT now(),
        finished_at timestamptz(3),
        CHECK ((status = 'FINISHED') = (finished_at IS NOT NULL))
      );
      -- At most one unfinished run per file, kind and actor: the one a new command resumes.
      CREATE UNIQUE INDEX import_run_resumable_idx ON import_run (kind, file_sha256, actor) WHERE status = 'RUNNING';
      REVOKE ALL ON import_run FROM eca_app;
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE import_run`);
  }
}
