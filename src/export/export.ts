import { Writable } from 'node:stream';
import { DataSource } from 'typeorm';
import { Config } from '../shared/config.js';
import { Role } from '../shared/auth/role.js';
import { applyScope } from '../shared/auth/scope.js';
import { RequestContext, systemContext } from '../shared/context.js';
import { LoaderRegistry } from '../shared/data-access/loader-registry.js';
import { LEAD_COLUMNS, leadBatch, REFERRAL_COLUMNS, referralBatch } from './export-batches.js';
import { ExportFormat, formatRow } from './export-format.js';

/**
 * Streams referrals or leads as CSV or JSON lines, for the agencies and analysts who work in
 * spreadsheets. Rows are read in keyset batches (`id > last id ORDER BY id LIMIT n`) inside one
 * REPEATABLE READ, READ ONLY transaction, so that the whole export is one consistent snapshot, and each
 * batch is written (waiting for the output to drain) before the next is read: memory stays at one batch
 * whatever the number of rows.
 *
 * A reader that goes away (`| head`, a closed socket) ends the export: the transaction is rolled back and
 * `OutputClosedError` thrown, which the command line treats as a normal end.
 *
 * Reads go through the same scope as the API: `--agency` exports what that agency's liaison may see
 * (its referrals, never drafts), `--brand` what that brand's partner may see (its leads, other brands on
 * them left out); without either, everything, as an administrator.
 *
 * Each export's columns and batch queries are in export-batches.ts, the CSV and JSON lines formats in export-format.ts.
 */
export type ExportKind = 'referrals' | 'leads';

export interface ExportOptions {
  kind: ExportKind;
  format: ExportFormat;
  agencyCode?: string;
  brandSlug?: string;
  /** CSV only: a UTF-8 byte order mark first, so that Excel reads the file as UTF-8 (Chinese text shows as such). */
  bom?: boolean;
  batchSize?: number;
  /** Called after each batch is read (rows in it): for progress and for tests. */
  onBatch?: (rows: number) => void;
}

/** An export asked for something that is not there (an unknown agency or brand) or not possible. */
export class ExportError extends Error {
  override name = 'ExportError';
}

/** The output went away before the export ended (EPIPE: the reading end of a pipe closed, e.g. `| head`). */
export class OutputClosedError extends Error {
  override name = 'OutputClosedError';
  constructor(readonly reason?: Error) {
    super(`the output was closed before the export ended${reason ? ` (${reason.message})` : ''}`);
  }
}

// ---------------------------------------------------------------------------------------------------

async function scopeFor(dataSource: DataSource, config: Config, options: ExportOptions): Promise<RequestContext> {
  const ctx = systemContext(dataSource, config, 'export');
  if (options.agencyCode) {
    const [agency] = await dataSource.query('SELECT id::text AS id FROM agency WHERE code = $1', [options.agencyCode]);
    if (!agency) throw new ExportError(`no agency with code "${options.agencyCode}" (the codes: list agencies)`);
    Object.assign(ctx.principal, { role: Role.AGENCY_LIAISON, agencyId: agency.id });
    return { ...ctx, scope: { kind: 'AGENCY', role: Role.AGENCY_LIAISON, agencyId: agency.id } };
  }
  if (options.brandSlug) {
    const [brand] = await dataSource.query('SELECT id::text AS id FROM brand WHERE slug = $1', [options.brandSlug]);
    if (!brand) throw new ExportError(`no brand with slug "${options.brandSlug}" (the slugs: list brands)`);
    Object.assign(ctx.principal, { role: Role.BRAND_PARTNER, brandId: brand.id });
    return { ...ctx, scope: { kind: 'BRAND', role: Role.BRAND_PARTNER, brandId: brand.id } };
  }
  return ctx;
}

/** Writes to `out`, waiting for it to drain when its buffer is full; fails once `out` has failed or closed. */
class Output {
  private failure: Error | null = null;
  private readonly onError = (error: Error) => void (this.failure ??= error);

  constructor(private readonly out: Writable) {
    out.on('error', this.onError);
  }

  async write(text: string): Promise<void> {
    this.assertOpen();
    if (!this.out.write(text)) await this.drained();
  }

  assertOpen(): void {
    if (this.failure || this.out.destroyed) throw new OutputClosedError(this.failure ?? undefined);
  }

  private drained(): Promise<void> {
    const out = this.out;
    return new Promise((resolve, reject) => {
      const settle = (error?: Error) => {
        out.off('drain', onDrain).off('error', onFail).off('close', onClose);
        if (error) reject(new OutputClosedError(error));
        else if (this.failure) reject(new OutputClosedError(this.failure));
        else resolve();
      };
      const onDrain = () => settle();
      const onFail = (error: Error) => settle(error);
      const onClose = () => settle(this.failure ?? new Error('closed'));
      out.on('drain', onDrain).on('error', onFail).on('close', onClose);
      if (out.destroyed) settle(this.failure ?? new Error('closed'));
    });
  }

  release(): void {
    // Kept until here: an error emitted after the last write is still listened to (not a crash).
    this.out.off('error', this.onError);
  }
}

/** Streams the export to `out`; returns the number of rows written. */
export async function exportRows(
  dataSource: DataSource,
  config: Config,
  options: ExportOptions,
  out: Writable,
): Promise<number> {
  const batchSize = options.batchSize ?? 2000;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error('batchSize must be a positive integer');
  if (options.bom && options.format !== 'csv')
    throw new ExportError('a byte order mark (--bom) is for CSV only: JSON lines are UTF-8 without one');
  const columns = options.kind === 'referrals' ? REFERRAL_COLUMNS : LEAD_COLUMNS;
  const batch = options.kind === 'referrals' ? referralBatch : leadBatch;
  const base = await scopeFor(dataSource, config, options);
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  const output = new Output(out);
  let written = 0;
  try {
    await runner.startTransaction('REPEATABLE READ');
    await runner.query('SET TRANSACTION READ ONLY');
    // The definer functions (a joint operation's shares) answer by the scope the policies read.
    await applyScope(runner, base.scope);
    const ctx: RequestContext = { ...base, db: runner.manager, loaders: new LoaderRegistry() };
    if (options.bom) await output.write('\uFEFF');
    if (options.format === 'csv') await output.write(`${columns.map((c) => c.name).join(',')}\r\n`);
    let afterId = '0';
    for (;;) {
      const rows = await batch(ctx, afterId, batchSize);
      options.onBatch?.(rows.length);
      for (const row of rows) {
        await output.write(formatRow(options.format, columns, row));
        written += 1;
      }
      if (rows.length < batchSize) break;
      afterId = String(rows[rows.length - 1].id);
    }
    output.assertOpen(); // the last write may have failed after it was handed over
    await runner.commitTransaction();
    return written;
  } finally {
    if (runner.isTransactionActive) await runner.rollbackTransaction();
    await runner.release();
    output.release();
  }
}
