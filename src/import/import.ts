import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
// Seller writes need repeat-offender matching registered (seller-follow-ups.ts), as the schema registers it.
import '../modules/repeat-offender/repeat-offender-match.service.js';
import { applyScope } from '../shared/auth/scope.js';
import { Role } from '../shared/auth/role.js';
import { inTransaction, RequestContext } from '../shared/context.js';
import { ImportError } from './import-error.js';
import { Prepared, RowKind } from './import-rows.js';
import { Rejection, RejectionReport, reportPath } from './import-report.js';
import { advanceRun, finishRun, ImportKind, ImportRun, openRun, RunKey } from './import-run.js';
import { csvHeader, ImportFormat, readRecords, SourceRecord } from './import-source.js';
import { leadRows } from './lead-import.js';
import { listingRows } from './listing-import.js';
import { sellerRows } from './seller-import.js';

/** Who may import each kind: the roles of the API's own change (createSeller, reportLead; listings: case writers). */
const IMPORTERS: Record<ImportKind, Role[]> = {
  sellers: [Role.ADMIN, Role.INVESTIGATOR],
  listings: [Role.ADMIN, Role.INVESTIGATOR],
  leads: [Role.ADMIN, Role.INVESTIGATOR, Role.BRAND_PARTNER],
};

export interface ImportProgress {
  linesDone: number;
  totalLines: number;
  imported: number;
  rejected: number;
}

export interface ImportOptions {
  kind: ImportKind;
  file: string;
  format: ImportFormat;
  /** Rows per transaction (default 1,000). */
  chunkSize?: number;
  /** Start over instead of resuming an unfinished run of the same file (or importing a finished one again). */
  restart?: boolean;
  /** Leads: the brand (slug) of rows that name none. */
  brand?: string;
  onProgress?: (progress: ImportProgress) => void;
  /** Messages for a person (resuming, already imported). */
  say?: (text: string) => void;
}

export interface ImportSummary {
  runId: string;
  /** Rows written by this command; `rejected` likewise (the report holds those of earlier runs' chunks too). */
  imported: number;
  rejected: number;
  /** Rows of chunks committed before an interruption, not read again. */
  skipped: number;
  /** The line this command resumed after, or null for a new run. */
  resumedAfter: number | null;
  alreadyFinished: boolean;
  seconds: number;
  reportPath: string;
  /** Rows rejected in the whole run (also before a resume): the report's entries. */
  reportEntries: number;
}

/**
 * Imports a file of sellers, listings or leads as the principal of `ctx`, through the services the API uses
 * (scope, validation, audit). Streamed, in chunks of `chunkSize` rows: each chunk is one transaction that also
 * moves the run's progress (import_run), so that an interrupted import resumes after its last committed chunk
 * and writes no row twice. Rows refused by validation or by the service go to the report `FILE.rejected.<format>`.
 */
export async function importFile(ctx: RequestContext, options: ImportOptions): Promise<ImportSummary> {
  const started = Date.now();
  const { kind, file, format } = options;
  if (!IMPORTERS[kind].includes(ctx.principal.role))
    throw new ImportError(`the role ${ctx.principal.role} may not import ${kind} (${IMPORTERS[kind].join(', ')} may)`);
  if (!fs.existsSync(file) || !fs.statSync(file).isFile()) throw new ImportError(`no file ${file}`);
  const rows: RowKind<unknown> = (
    kind === 'sellers' ? sellerRows : kind === 'listings' ? listingRows : leadRows(options.brand)
  ) as RowKind<unknown>;
  if (format === 'csv') await checkHeader(file, kind, rows);
  const { sha256, lines: totalLines } = await fileFacts(file);
  const key: RunKey = { kind, sha256, actor: actorOf(ctx) };

  const release = await holdFile(ctx, key, file);
  try {
    return await importHeld(ctx, options, key, rows, totalLines, started);
  } finally {
    await release();
  }
}

/**
 * One command at a time per file, kind and actor: a lock of the database session held for the command's
 * duration (released by PostgreSQL if the process dies). A second command is refused at once rather than
 * racing the first (the rows could not be written twice anyway: each chunk moves the run only from where it was).
 */
async function holdFile(ctx: RequestContext, key: RunKey, file: string): Promise<() => Promise<void>> {
  const session = ctx.dataSource.createQueryRunner();
  await session.connect();
  const lockKey = `import:${key.kind}:${key.sha256}:${key.actor}`;
  const [{ held }] = await session.query(`SELECT pg_try_advisory_lock(hashtext($1)) AS held`, [lockKey]);
  if (!held) {
    await session.release();
    throw new ImportError(
      `another command is importing ${path.basename(file)} as these ${key.kind} now: wait for it to end, or stop it and run this one again (it resumes)`,
    );
  }
  return async () => {
    await session.query(`SELECT pg_advisory_unlock(hashtext($1))`, [lockKey]).catch(() => undefined);
    await session.release();
  };
}

async function importHeld(
  ctx: RequestContext,
  options: ImportOptions,
  key: RunKey,
  rows: RowKind<unknown>,
  totalLines: number,
  started: number,
): Promise<ImportSummary> {
  const { kind, file, format } = options;
  const say = options.say ?? (() => undefined);
  const { run: current, resumed } = await openRun(
    ctx.db,
    key,
    { name: path.resolve(file), format, principalId: ctx.principal.rowId },
    Boolean(options.restart),
  );
  if (current.status === 'FINISHED') {
    say(
      `${path.basename(file)} was imported already as these ${kind} (run ${current.id}, finished ${current.finishedAt!.toISOString()}): nothing done. --restart imports it again.`,
    );
    return summary(current, { imported: 0, rejected: 0, skipped: 0, resumedAfter: null, alreadyFinished: true });
  }
  const resumedAfter = resumed ? current.linesDone : null;
  if (resumed)
    say(
      `resuming run ${current.id} of ${path.basename(file)} at line ${current.linesDone + 1} (the lines before are imported)`,
    );

  const report = new RejectionReport(reportPath(file, format), format, resumedAfter ?? 0);
  const totals = { imported: 0, rejected: 0, skipped: 0 };
  const chunkSize = options.chunkSize ?? 1000;
  const progress = () =>
    options.onProgress?.({
      linesDone: current.linesDone,
      totalLines,
      imported: totals.imported,
      rejected: totals.rejected,
    });
  try {
    let chunk: SourceRecord[] = [];
    for await (const record of readRecords(file, format)) {
      if (record.line <= current.linesDone) {
        totals.skipped += 1;
        continue;
      }
      chunk.push(record);
      if (chunk.length < chunkSize) continue;
      await commitChunk(ctx, current, rows, chunk, report, totals);
      chunk = [];
      progress();
    }
    if (chunk.length) await commitChunk(ctx, current, rows, chunk, report, totals);
    await finishRun(ctx.db, current, Math.max(current.linesDone, totalLines));
    progress();
  } finally {
    report.close();
  }
  return summary(current, { ...totals, resumedAfter, alreadyFinished: false });

  function summary(
    of: ImportRun,
    counts: Omit<ImportSummary, 'runId' | 'seconds' | 'reportPath' | 'reportEntries'>,
  ): ImportSummary {
    return {
      runId: of.id,
      seconds: (Date.now() - started) / 1000,
      reportPath: reportPath(file, format),
      reportEntries: of.rejected,
      ...counts,
    };
  }
}

/** One chunk: its rows, its report entries and the run's progress, in one transaction. */
async function commitChunk(
  ctx: RequestContext,
  run: ImportRun,
  rows: RowKind<unknown>,
  chunk: SourceRecord[],
  report: RejectionReport,
  totals: { imported: number; rejected: number },
): Promise<void> {
  const prepared: Prepared<unknown>[] = await Promise.all(
    chunk.map((record) => {
      if (!record.fields)
        return { line: record.line, rejection: { line: record.line, field: '(row)', reason: record.unreadable } };
      const unknown = unknownKey(record, rows);
      return unknown ? { line: record.line, rejection: unknown } : rows.prepare(record.line, record.fields);
    }),
  );
  const toLine = chunk[chunk.length - 1].line;
  const done = await inTransaction(ctx, async (tx) => {
    report.rewind();
    // The principal's scope for the policies too, as a request's transaction has it (the owner's own policy
    // admits every row; the services apply the scope themselves).
    await applyScope(tx.db, tx.scope, tx.principal.rowId);
    const rejections: Rejection[] = prepared.flatMap((row) => (row.rejection ? [row.rejection] : []));
    const valid = prepared.flatMap((row) => (row.rejection ? [] : [{ line: row.line, input: row.input }]));
    const imported = await rows.write(tx, valid, (rejection) => rejections.push(rejection));
    rejections.sort((a, b) => a.line - b.line).forEach((rejection) => report.add(rejection));
    report.flush();
    if (!(await advanceRun(tx.db, run, { toLine, imported, rejected: rejections.length })))
      throw new ImportError(
        `another import of this file moved run ${run.id} on meanwhile: this one stops (run the command again to resume)`,
      );
    return { imported, rejected: rejections.length };
  }).catch((error: unknown) => {
    report.rewind();
    throw error;
  });
  report.confirm();
  run.linesDone = toLine;
  run.imported += done.imported;
  run.rejected += done.rejected;
  totals.imported += done.imported;
  totals.rejected += done.rejected;
}

/** A CSV header with a column the kind has not, or without one it needs, would reject every row: refused first. */
async function checkHeader(file: string, kind: ImportKind, rows: RowKind<unknown>): Promise<void> {
  const header = await csvHeader(file);
  const unknown = header.filter((column) => !rows.columns.includes(column));
  const missing = rows.required.filter((column) => !header.includes(column));
  if (unknown.length || missing.length)
    throw new ImportError(
      `the header line of ${path.basename(file)} ${[
        unknown.length ? `names ${unknown.map((c) => `"${c}"`).join(', ')}, not a column of ${kind}` : '',
        missing.length ? `lacks ${missing.join(', ')}` : '',
      ]
        .filter(Boolean)
        .join(' and ')} (the columns: ${rows.columns.join(', ')}; README, "Importing data")`,
    );
}

/** A JSON line's keys that are not columns of the kind: the row is rejected (a misspelt key would be lost). */
function unknownKey(record: SourceRecord, rows: RowKind<unknown>): Rejection | null {
  const key = record.fields && Object.keys(record.fields).find((name) => !rows.columns.includes(name));
  return key
    ? { line: record.line, field: key, reason: `not a column (the columns: ${rows.columns.join(', ')})` }
    : null;
}

/** Who imports, for telling runs apart: a principal by id, else the command line's own label. */
function actorOf(ctx: RequestContext): string {
  return ctx.principal.rowId ? `principal:${ctx.principal.rowId}` : ctx.principal.name;
}

/** The file's SHA-256 and line count, in one streamed pass. */
async function fileFacts(file: string): Promise<{ sha256: string; lines: number }> {
  const hash = createHash('sha256');
  let lines = 0;
  let last = 10;
  for await (const chunk of fs.createReadStream(file) as AsyncIterable<Buffer>) {
    hash.update(chunk);
    for (let i = chunk.indexOf(10); i >= 0; i = chunk.indexOf(10, i + 1)) lines += 1;
    last = chunk[chunk.length - 1];
  }
  return { sha256: hash.digest('hex'), lines: lines + (last === 10 ? 0 : 1) };
}
