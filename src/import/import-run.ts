import type { EntityManager } from 'typeorm';
import type { ImportFormat } from './import-source.js';

export type ImportKind = 'sellers' | 'listings' | 'leads';

/** One import of a file (migration 1764500300000-ImportRun): how far it got, committed with the rows. */
export interface ImportRun {
  id: string;
  linesDone: number;
  imported: number;
  rejected: number;
  status: 'RUNNING' | 'FINISHED' | 'ABANDONED';
  finishedAt: Date | null;
}

type Queryable = Pick<EntityManager, 'query'>;

const COLUMNS = `id::text, lines_done AS "linesDone", imported, rejected, status, finished_at AS "finishedAt"`;

export interface RunKey {
  kind: ImportKind;
  sha256: string;
  actor: string;
}

/** The last run of this file, kind and actor that was not abandoned. */
async function lastRun(db: Queryable, key: RunKey): Promise<ImportRun | null> {
  const [row] = await db.query(
    `SELECT ${COLUMNS} FROM import_run WHERE kind = $1 AND file_sha256 = $2 AND actor = $3 AND status <> 'ABANDONED'
     ORDER BY id DESC LIMIT 1`,
    [key.kind, key.sha256, key.actor],
  );
  return row ?? null;
}

/**
 * The run a command goes on with (the command holds the file's lock: import.ts, holdFile): the unfinished run of this file, kind and actor (resumed), or the finished one (nothing to
 * do), or a new run. With `restart`, always a new run: an unfinished one is abandoned (its rows stay; it stops
 * at its next chunk if a command is still running it).
 */
export async function openRun(
  db: EntityManager,
  key: RunKey,
  file: { name: string; format: ImportFormat; principalId: string | null },
  restart: boolean,
): Promise<{ run: ImportRun; resumed: boolean }> {
  return db.transaction(async (tx) => {
    const last = await lastRun(tx, key);
    if (last && !restart) return { run: last, resumed: last.status === 'RUNNING' };
    await tx.query(
      `UPDATE import_run SET status = 'ABANDONED', updated_at = now() WHERE kind = $1 AND file_sha256 = $2 AND actor = $3 AND status = 'RUNNING'`,
      [key.kind, key.sha256, key.actor],
    );
    const [row] = await tx.query(
      `INSERT INTO import_run (kind, file_sha256, file_name, format, actor, principal_id) VALUES ($1, $2, $3, $4, $5, $6)
       RETURNING ${COLUMNS}`,
      [key.kind, key.sha256, file.name, file.format, key.actor, file.principalId],
    );
    return { run: row, resumed: false };
  });
}

/**
 * Moves the run past a chunk, in the chunk's own transaction: only from where this process left it
 * (`fromLine`), so that two processes importing the same file cannot both commit the same chunk (the second
 * waits for the first's row lock, then finds the run moved on, and its transaction is rolled back).
 */
export async function advanceRun(
  db: Queryable,
  run: ImportRun,
  chunk: { toLine: number; imported: number; rejected: number },
): Promise<boolean> {
  const [, moved]: [unknown, number] = await db.query(
    `UPDATE import_run SET lines_done = $3, imported = imported + $4, rejected = rejected + $5, updated_at = now()
     WHERE id = $1 AND lines_done = $2 AND status = 'RUNNING'`,
    [run.id, run.linesDone, chunk.toLine, chunk.imported, chunk.rejected],
  );
  return moved === 1;
}

export async function finishRun(db: Queryable, run: ImportRun, lastLine: number): Promise<void> {
  await db.query(
    `UPDATE import_run SET status = 'FINISHED', lines_done = greatest(lines_done, $2), finished_at = now(), updated_at = now()
     WHERE id = $1 AND status = 'RUNNING'`,
    [run.id, lastLine],
  );
}
