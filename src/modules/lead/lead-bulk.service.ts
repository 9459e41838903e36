import { validate } from 'class-validator';
import { RequestContext, inTransaction } from '../../shared/context.js';
import { lockKeys } from '../../shared/idempotency.js';
import { inSavepoint, isRefusal } from '../../shared/savepoint.js';
import { OutcomeUnknownError } from '../../shared/transaction.js';
import { UserError, userError, UserErrorCode, UserErrorException } from '../../shared/user-error.js';
import { ReportLeadInput } from './lead.inputs.js';
import { reportLeadOnce } from './lead.service.js';
import {
  MAX_REPORT_LEADS_ITEMS,
  REPORT_LEADS_CHUNK,
  ReportLeadsInput,
  ReportLeadsOutcome,
  ReportLeadsPayload,
  ReportLeadsResult,
} from './lead-bulk.types.js';

const NOT_KEPT_MESSAGE =
  'Its chunk of the batch was not kept (it collided with concurrent changes until the retry bound, or the database failed or was unavailable); nothing of it was changed. Send it again with the same idempotencyKey.';
const NOT_TRIED_MESSAGE =
  'Not tried: an earlier chunk of the batch failed, and the batch stopped there. Send it again with the same idempotencyKey.';
const OUTCOME_UNKNOWN_MESSAGE =
  'The connection to the database failed while its chunk was being committed: it may or may not have been kept. Send it again with the same idempotencyKey (a kept one answers REPLAYED, not a second lead).';

/**
 * Reports up to 300 leads, each by reportLead's own path (reportLeadOnce: scope, the brand partner's rules,
 * idempotency, fast track, audit event) and each answered on its own (README, "Reporting in bulk").
 * Items run in order, in chunks of REPORT_LEADS_CHUNK, one transaction per chunk, committed and checked before
 * the next chunk starts; inside a chunk each item runs under a SAVEPOINT, so that a refused item rolls back alone
 * while its chunk goes on. A deadlock runs the chunk again (inTransaction). A chunk that fails otherwise stops the
 * batch: its items are NOT_KEPT (OUTCOME_UNKNOWN when its COMMIT got no answer) and so are the ones after it; the
 * earlier chunks stay as answered. When the first chunk fails, nothing was kept: the field answers the error, as
 * reportLead would.
 */
export async function reportLeads(ctx: RequestContext, input: ReportLeadsInput): Promise<ReportLeadsPayload> {
  const items = input.items;
  if (items.length === 0)
    return refusedWhole(`Send at least one item (at most ${MAX_REPORT_LEADS_ITEMS} per request).`);
  if (items.length > MAX_REPORT_LEADS_ITEMS)
    return refusedWhole(
      `reportLeads takes at most ${MAX_REPORT_LEADS_ITEMS} items per request; this one has ${items.length}: send them in several requests.`,
    );
  const results: ReportLeadsResult[] = [];
  const pending: number[] = [];
  for (const [index, item] of items.entries()) {
    const invalid = await firstValidationError(item, index);
    if (invalid) results[index] = answer(index, item, ReportLeadsOutcome.REFUSED, { userErrors: [invalid] });
    else pending.push(index);
  }
  let committed = false;
  for (let start = 0; start < pending.length; start += REPORT_LEADS_CHUNK) {
    const chunk = pending.slice(start, start + REPORT_LEADS_CHUNK);
    try {
      for (const result of await inTransaction(ctx, (tx) => reportChunk(tx, items, chunk)))
        results[result.index] = result;
      committed = true;
    } catch (error) {
      if (!committed) throw error;
      const outcome =
        error instanceof OutcomeUnknownError ? ReportLeadsOutcome.OUTCOME_UNKNOWN : ReportLeadsOutcome.NOT_KEPT;
      const message = outcome === ReportLeadsOutcome.OUTCOME_UNKNOWN ? OUTCOME_UNKNOWN_MESSAGE : NOT_KEPT_MESSAGE;
      for (const index of chunk) results[index] = answer(index, items[index], outcome, { message });
      for (const index of pending.slice(start + REPORT_LEADS_CHUNK))
        results[index] = answer(index, items[index], ReportLeadsOutcome.NOT_KEPT, { message: NOT_TRIED_MESSAGE });
      break;
    }
  }
  return { results, userErrors: [] };
}

/** One chunk, inside its transaction: each item under a savepoint; a refused one is answered and rolled back alone. */
async function reportChunk(
  tx: RequestContext,
  items: ReportLeadInput[],
  chunk: number[],
): Promise<ReportLeadsResult[]> {
  const results: ReportLeadsResult[] = [];
  // Its keys in one order first: two batches sharing keys wait for each other instead of deadlocking.
  await lockKeys(
    tx,
    chunk.map((index) => items[index].idempotencyKey),
  );
  for (const index of chunk) {
    const item = items[index];
    try {
      const { lead, replayed } = await inSavepoint(tx, () => reportLeadOnce(tx, item));
      const outcome = replayed ? ReportLeadsOutcome.REPLAYED : ReportLeadsOutcome.CREATED;
      results.push(answer(index, item, outcome, { lead }));
    } catch (error) {
      if (!isRefusal(error)) throw error;
      results.push(answer(index, item, ReportLeadsOutcome.REFUSED, { userErrors: [itemError(error, index)] }));
    }
  }
  return results;
}

function answer(
  index: number,
  item: ReportLeadInput,
  outcome: ReportLeadsOutcome,
  rest: Partial<Pick<ReportLeadsResult, 'lead' | 'userErrors' | 'message'>>,
): ReportLeadsResult {
  return Object.assign(new ReportLeadsResult(), {
    index,
    idempotencyKey: item.idempotencyKey ?? null,
    outcome,
    lead: null,
    userErrors: [],
    message: null,
    ...rest,
  });
}

function refusedWhole(message: string): ReportLeadsPayload {
  return { results: [], userErrors: [userError(UserErrorCode.INVALID, message, ['input', 'items'])] };
}

/** The item's path in the batch: `["input", "sellerIds", "0"]` of reportLead is `["input", "items", "7", "sellerIds", "0"]`. */
const itemPath = (index: number, field: readonly string[]) => [
  'input',
  'items',
  String(index),
  ...(field[0] === 'input' ? field.slice(1) : field),
];

/** A refusal of reportLead's path as the item's user error: a user error, or input it could not read (a malformed id). */
function itemError(
  error: UserErrorException | { message: string; extensions: Record<string, unknown> },
  index: number,
) {
  if (error instanceof UserErrorException) {
    const { code, message, field } = error.userError;
    return userError(code, message, itemPath(index, field ?? []));
  }
  const argument = typeof error.extensions.argument === 'string' ? error.extensions.argument.split('.') : [];
  return userError(UserErrorCode.INVALID, error.message, itemPath(index, argument));
}

/**
 * The item's first class-validator failure (the rules of ReportLeadInput), as a user error at its path: the
 * request's own validation skips the items (lead.resolver.ts), so that one invalid item does not refuse them all.
 */
async function firstValidationError(item: ReportLeadInput, index: number): Promise<UserError | null> {
  const [failure] = await validate(item, { skipMissingProperties: true, forbidUnknownValues: false });
  if (!failure) return null;
  const problems = Object.values(failure.constraints ?? {}).join('; ') || 'invalid';
  return userError(UserErrorCode.INVALID, `Invalid input: ${problems}.`, itemPath(index, [failure.property]));
}
