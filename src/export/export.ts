import { Writable } from 'node:stream';
import { DataSource } from 'typeorm';
import { Config } from '../shared/config.js';
import { Role } from '../shared/auth/role.js';
import { applyScope } from '../shared/auth/scope.js';
import { RequestContext, systemContext } from '../shared/context.js';
import { LoaderRegistry } from '../shared/data-access/loader-registry.js';
import { Brand } from '../modules/brand/brand.entity.js';
import { EnforcementOutcome } from '../modules/referral/enforcement-outcome.entity.js';
import { Investigation } from '../modules/investigation/investigation.entity.js';
import { Lead } from '../modules/lead/lead.entity.js';
import { Referral } from '../modules/referral/referral.entity.js';
import { Seller } from '../modules/seller/seller.entity.js';
import { Statement } from '../shared/data-access/statement.js';

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
 */
export type ExportKind = 'referrals' | 'leads';
export type ExportFormat = 'csv' | 'jsonl';

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

type Row = Record<string, unknown>;

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

interface Column {
  name: string;
  /** `money`: a list of {amount, currency}; `list`: a list of strings. */
  type?: 'money' | 'list' | 'number' | 'date';
}

const REFERRAL_COLUMNS: Column[] = [
  { name: 'reference' },
  { name: 'status' },
  { name: 'agency' },
  { name: 'investigation' },
  { name: 'created_at', type: 'date' },
  { name: 'sent_at', type: 'date' },
  { name: 'acknowledged_at', type: 'date' },
  { name: 'first_action_at', type: 'date' },
  { name: 'concluded_at', type: 'date' },
  { name: 'closed_at', type: 'date' },
  { name: 'agency_case_reference' },
  { name: 'decline_reason' },
  { name: 'raids', type: 'number' },
  { name: 'seizures', type: 'number' },
  { name: 'arrests', type: 'number' },
  { name: 'dens_destroyed', type: 'number' },
  { name: 'convictions', type: 'number' },
  { name: 'fines', type: 'number' },
  { name: 'seized_value', type: 'money' },
  { name: 'fined', type: 'money' },
  { name: 'summary' },
  { name: 'seized_goods', type: 'list' },
  { name: 'seized_value_attributed', type: 'money' },
];

const LEAD_COLUMNS: Column[] = [
  { name: 'reference' },
  { name: 'created_at', type: 'date' },
  { name: 'source' },
  { name: 'status' },
  { name: 'risk_score', type: 'number' },
  { name: 'close_reason' },
  { name: 'triaged_at', type: 'date' },
  { name: 'closed_at', type: 'date' },
  { name: 'brands', type: 'list' },
  { name: 'sellers', type: 'list' },
  { name: 'investigation' },
  { name: 'referrals_sent', type: 'number' },
  { name: 'description' },
];

/** One keyset batch of referrals after `afterId`, with their outcomes added up. */
function referralBatch(ctx: RequestContext, afterId: string, limit: number): Promise<Row[]> {
  const s = new Statement(ctx, {
    from: null,
    to: null,
    brandIds: null,
    regions: null,
    platforms: null,
    agencyIds: null,
    leadSources: null,
  });
  const referrals = s
    .scoped(Referral, 'r')
    .innerJoin('agency', 'r_a', 'r_a.id = r.agency_id')
    .select([
      'r.id AS id',
      'r.reference AS reference',
      'r.status AS status',
      'r_a.code AS agency',
      'r.investigation_id AS investigation_id',
      'r.created_at AS created_at',
      'r.sent_at AS sent_at',
      'r.acknowledged_at AS acknowledged_at',
      'r.first_action_at AS first_action_at',
      'r.concluded_at AS concluded_at',
      'r.closed_at AS closed_at',
      'r.agency_case_reference AS agency_case_reference',
      'r.decline_reason AS decline_reason',
      'r.summary AS summary',
    ])
    .andWhere(`r.id > ${s.bind(afterId)}`)
    .orderBy('r.id')
    .limit(limit);
  const outcomes = s
    .scoped(EnforcementOutcome, 'o')
    .select([
      `count(*) FILTER (WHERE o.kind = 'RAID') AS raids`,
      `count(*) FILTER (WHERE o.kind = 'SEIZURE') AS seizures`,
      'coalesce(sum(o.arrests), 0) AS arrests',
      'coalesce(sum(o.dens_destroyed), 0) AS dens_destroyed',
      'coalesce(sum(o.convictions), 0) AS convictions',
      `count(*) FILTER (WHERE o.kind = 'FINE') AS fines`,
    ])
    .andWhere('o.referral_id = r.id');
  const investigation = s.derived(
    s.scoped(Investigation, 'i').select('i.reference').andWhere('i.id = r.investigation_id'),
  );
  const jointOutcomes = s
    .scoped(EnforcementOutcome, 'jo')
    .select('jo.id', 'id')
    .andWhere('jo.operation_id IS NOT NULL AND jo.referral_id IN (SELECT b.id FROM batch b)');
  return s.rows(`
    WITH batch AS ${s.derived(referrals)},
         shares AS (SELECT * FROM eca_joint_operation_shares(ARRAY(SELECT jo.id FROM ${s.derived(jointOutcomes)} jo)))
    SELECT r.*, ${investigation} AS investigation, oc.*,
           ${moneyOf(s, 'seized_value_amount', 'seized_value_currency')} AS seized_value, ${moneyOf(s, 'fine_amount', 'fine_currency')} AS fined,
           ${seizedGoodsOf(s)} AS seized_goods, ${attributedSeizedValueOf(s)} AS seized_value_attributed
    FROM batch r LEFT JOIN LATERAL ${s.derived(outcomes)} oc ON TRUE
    ORDER BY r.id`);
}

/**
 * The seized value of referral `r` as the analytics count it (docs/analytics.md, "Joint operations"): an outcome's
 * own figure, or for an outcome of a joint operation its agency's share of the agreed value (from `shares`), so
 * that the column adds up over referrals to each operation's value once; `seized_value` is what the agency reported.
 */
function attributedSeizedValueOf(s: Statement): string {
  const outcomes = s
    .scoped(EnforcementOutcome, 'ao')
    .select([
      'ao.id AS id',
      'ao.operation_id AS operation_id',
      'ao.seized_value_amount AS amount',
      'ao.seized_value_currency AS currency',
    ])
    .andWhere('ao.referral_id = r.id');
  return `(SELECT coalesce(jsonb_agg(jsonb_build_object('amount', t.amount, 'currency', trim(t.currency)) ORDER BY t.currency), '[]') FROM (
            SELECT x.currency, sum(x.amount) AS amount FROM (
              SELECT CASE WHEN ao.operation_id IS NULL THEN ao.amount ELSE sh.amount END AS amount,
                     CASE WHEN ao.operation_id IS NULL THEN ao.currency ELSE sh.currency END AS currency
              FROM ${s.derived(outcomes)} ao LEFT JOIN shares sh ON sh.outcome_id = ao.id) x
            WHERE x.amount IS NOT NULL GROUP BY x.currency) t)`;
}

/** Per-currency totals of a money column of the (scoped) outcomes of referral `r`, as a JSON list. */
function moneyOf(s: Statement, amount: string, currency: string): string {
  const totals = s
    .scoped(EnforcementOutcome, 'mo')
    .select(`mo.${currency}`, 'currency')
    .addSelect(`sum(mo.${amount})`, 'amount')
    .andWhere(`mo.referral_id = r.id AND mo.${amount} IS NOT NULL`)
    .groupBy(`mo.${currency}`);
  return `(SELECT coalesce(jsonb_agg(jsonb_build_object('amount', t.amount, 'currency', trim(t.currency)) ORDER BY t.currency), '[]') FROM ${s.derived(totals)} t)`;
}

/**
 * The goods seized on the (scoped) outcomes of referral `r`, added up per unit and description, as a list of
 * "quantity UNIT description" (`1200 PIECE handbags`), largest first.
 */
function seizedGoodsOf(s: Statement): string {
  const outcomes = s
    .scoped(EnforcementOutcome, 'go')
    .select('go.seized_goods', 'seized_goods')
    .andWhere('go.referral_id = r.id AND go.seized_goods IS NOT NULL');
  return `(SELECT coalesce(array_agg(t.line ORDER BY t.quantity DESC, t.line), '{}') FROM (
            SELECT trim_scale(sum((g.item->>'quantity')::numeric)) || ' ' || (g.item->>'unit') || ' ' || (g.item->>'description') AS line,
                   sum((g.item->>'quantity')::numeric) AS quantity
            FROM ${s.derived(outcomes)} so CROSS JOIN LATERAL jsonb_array_elements(so.seized_goods) AS g(item)
            GROUP BY g.item->>'unit', g.item->>'description') t)`;
}

/** One keyset batch of leads after `afterId`, with the brands, sellers and investigation the caller may see. */
function leadBatch(ctx: RequestContext, afterId: string, limit: number): Promise<Row[]> {
  const s = new Statement(ctx, {
    from: null,
    to: null,
    brandIds: null,
    regions: null,
    platforms: null,
    agencyIds: null,
    leadSources: null,
  });
  const leads = s
    .scoped(Lead, 'l')
    .select([
      'l.id AS id',
      'l.reference AS reference',
      'l.created_at AS created_at',
      'l.source AS source',
      'l.status AS status',
      'l.risk_score AS risk_score',
      'l.close_reason AS close_reason',
      'l.triaged_at AS triaged_at',
      'l.closed_at AS closed_at',
      'l.investigation_id AS investigation_id',
      'l.description AS description',
    ])
    .andWhere(`l.id > ${s.bind(afterId)}`)
    .orderBy('l.id')
    .limit(limit);
  const brands = s
    .scoped(Brand, 'b')
    .innerJoin('lead_brand', 'b_lb', 'b_lb.brand_id = b.id')
    .select(`coalesce(array_agg(b.slug ORDER BY b.slug), '{}')`)
    .andWhere('b_lb.lead_id = l.id');
  const sellers = s
    .scoped(Seller, 'v')
    .innerJoin('lead_seller', 'v_ls', 'v_ls.seller_id = v.id')
    .select(`coalesce(array_agg(v.platform || '/' || v.external_id ORDER BY v.id), '{}')`)
    .andWhere('v_ls.lead_id = l.id');
  const investigation = s.scoped(Investigation, 'i').select('i.reference').andWhere('i.id = l.investigation_id');
  const referrals = s
    .scoped(Referral, 'rf')
    .select('count(*)')
    .andWhere('rf.investigation_id = l.investigation_id AND rf.sent_at IS NOT NULL');
  return s.rows(`
    SELECT l.*, ${s.derived(brands)} AS brands, ${s.derived(sellers)} AS sellers, ${s.derived(investigation)} AS investigation,
           ${s.derived(referrals)} AS referrals_sent
    FROM ${s.derived(leads)} l ORDER BY l.id`);
}

// ---------------------------------------------------------------------------------------------------
// Formats.

const toIso = (value: unknown) =>
  value === null || value === undefined
    ? null
    : (value instanceof Date ? value : new Date(String(value))).toISOString();

function jsonValue(column: Column, value: unknown): unknown {
  if (value === null || value === undefined) return column.type === 'money' || column.type === 'list' ? [] : null;
  if (column.type === 'date') return toIso(value);
  if (column.type === 'number') return Number(value);
  if (column.type === 'money')
    return (value as { amount: number | string; currency: string }[]).map((m) => ({
      amount: Number(m.amount),
      currency: m.currency,
    }));
  return value;
}

/** A CSV cell: quoted when needed; text that a spreadsheet would run as a formula is prefixed with '. */
export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  let text = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function csvValue(column: Column, value: unknown): string {
  const json = jsonValue(column, value);
  if (column.type === 'money')
    return csvCell(
      (json as { amount: number; currency: string }[]).map((m) => `${m.amount} ${m.currency}`).join('; ') || null,
    );
  if (column.type === 'list') return csvCell((json as string[]).join('; ') || null);
  return csvCell(json);
}

function formatRow(format: ExportFormat, columns: Column[], row: Row): string {
  if (format === 'jsonl')
    return `${JSON.stringify(Object.fromEntries(columns.map((c) => [c.name, jsonValue(c, row[c.name])])))}\n`;
  return `${columns.map((c) => csvValue(c, row[c.name])).join(',')}\r\n`;
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
