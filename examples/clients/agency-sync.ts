// The agency's liaison tool, typed: pull every change of its referrals since its stored cursor, acknowledge
// the referrals newly sent to it, and report outcomes (a raid, an arrest, a seizure) on them.
//
//   npm run codegen && npx tsc -p examples/clients && node dist/examples/clients/agency-sync.js [--raid]
//
// Every change sends `expectedVersion` (the version this tool last read: a referral changed since is
// refused as STALE_VERSION, not overwritten) and an `idempotencyKey` made for that one intended change, so
// that a lost answer can be retried without doing the change twice.
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import {
  AcknowledgeReferralDocument,
  AgencyReferralDocument,
  RecordEnforcementOutcomeDocument,
  ReferralChangesDocument,
  type AcknowledgeReferralInput,
  type RecordEnforcementOutcomeInput,
  type RecordEnforcementOutcomeMutation,
  type ReferralChangesQuery,
  type ReferralStateFragment,
} from '../generated/graphql.js';
import {
  accepted,
  commandLineSettings,
  createApiClient,
  paginate,
  present,
  UserErrorsError,
  type ApiClient,
  type ApiClientOptions,
} from './api-client.js';

export type ReferralChange = NonNullable<ReferralChangesQuery['referralChanges']>['nodes'][number];
export type RecordedOutcome = NonNullable<
  NonNullable<RecordEnforcementOutcomeMutation['recordEnforcementOutcome']>['outcome']
>;

/** An outcome to report on a referral: the outcome, and the key kept for reporting it once. */
export type OutcomeReport = Omit<RecordEnforcementOutcomeInput, 'expectedVersion' | 'idempotencyKey'> & {
  idempotencyKey: string;
};

export interface AgencySyncOptions extends ApiClientOptions {
  /** The `endCursor` stored by the previous run; null or absent: from the first change. */
  cursor?: string | null;
  /** Changes per page (1-100; default 100). */
  pageSize?: number;
  /** The agency's own case number for a referral it acknowledges (default CASE-<reference>). */
  caseReference?: (referralReference: string) => string;
  /** Outcomes to report once the referrals are acknowledged (or a function of the referrals acknowledged now). */
  outcomes?: OutcomeReport[] | ((acknowledged: ReferralStateFragment[]) => OutcomeReport[]);
}

export interface AgencySyncResult {
  changes: ReferralChange[];
  pages: number;
  /** Store it and pass it as `cursor` next time: nothing is missed, nothing comes twice. */
  cursor: string | null;
  acknowledged: ReferralStateFragment[];
  recorded: RecordedOutcome[];
  /** Changes refused because the referral changed since it was read (STALE_VERSION) or cannot move so. */
  refused: { referralId: string; operation: string; codes: string[]; messages: string[] }[];
}

async function readReferral(api: ApiClient, id: string) {
  const node = present((await api.query(AgencyReferralDocument, { id })).node, `referral ${id}`);
  if (!('reference' in node)) throw new Error(`${id} is not a referral`);
  return node;
}

export async function runAgencySync(options: AgencySyncOptions): Promise<AgencySyncResult> {
  const api = createApiClient(options);
  const caseReference = options.caseReference ?? ((reference: string) => `CASE-${reference}`);
  const refused: AgencySyncResult['refused'] = [];

  // 1. The feed from the stored cursor, following endCursor until hasNextPage is false.
  const feed = await paginate(
    async (after) =>
      present(
        (await api.query(ReferralChangesDocument, { first: options.pageSize ?? 100, after })).referralChanges,
        'referralChanges',
      ),
    options.cursor ?? null,
  );

  // 2. Acknowledge the referrals that are (still) SENT, at the version just read.
  const sent = [...new Set(feed.nodes.filter((c) => c.referral?.status === 'SENT').map((c) => c.referral!.id))];
  const versions = new Map<string, number>();
  const acknowledged: ReferralStateFragment[] = [];
  for (const referralId of sent) {
    const referral = await readReferral(api, referralId);
    if (referral.status !== 'SENT') continue;
    const input: AcknowledgeReferralInput = {
      referralId,
      agencyCaseReference: caseReference(referral.reference),
      expectedVersion: referral.version,
      idempotencyKey: `acknowledge-${referralId}-v${referral.version}`,
    };
    try {
      const payload = accepted(
        'acknowledgeReferral',
        (await api.mutate(AcknowledgeReferralDocument, { input })).acknowledgeReferral,
      );
      const state = present(payload.referral, 'acknowledgeReferral.referral');
      acknowledged.push(state);
      versions.set(referralId, state.version);
    } catch (error) {
      if (!(error instanceof UserErrorsError)) throw error;
      refused.push({
        referralId,
        operation: error.operation,
        codes: error.userErrors.map((e) => e.code),
        messages: error.userErrors.map((e) => e.message),
      });
    }
  }

  // 3. Report the outcomes, each at the version this tool last saw of its referral.
  const recorded: RecordedOutcome[] = [];
  const reports = typeof options.outcomes === 'function' ? options.outcomes(acknowledged) : (options.outcomes ?? []);
  for (const report of reports) {
    const referralId = String(report.referralId);
    const expectedVersion = versions.get(referralId) ?? (await readReferral(api, referralId)).version;
    const input: RecordEnforcementOutcomeInput = { ...report, expectedVersion };
    try {
      const payload = accepted(
        'recordEnforcementOutcome',
        (await api.mutate(RecordEnforcementOutcomeDocument, { input })).recordEnforcementOutcome,
      );
      const outcome = present(payload.outcome, 'recordEnforcementOutcome.outcome');
      recorded.push(outcome);
      if (outcome.referral) versions.set(referralId, outcome.referral.version);
    } catch (error) {
      if (!(error instanceof UserErrorsError)) throw error;
      refused.push({
        referralId,
        operation: error.operation,
        codes: error.userErrors.map((e) => e.code),
        messages: error.userErrors.map((e) => e.message),
      });
    }
  }
  return { changes: feed.nodes, pages: feed.pages, cursor: feed.endCursor, acknowledged, recorded, refused };
}

if (require.main === module) {
  const { values } = parseArgs({ options: { raid: { type: 'boolean', default: false } } });
  const cursorFile = process.env.CURSOR_FILE ?? '.agency-sync-cursor';
  const cursor = fs.existsSync(cursorFile) ? fs.readFileSync(cursorFile, 'utf8').trim() || null : null;
  (async () => {
    // With --raid: a raid on the first referral acknowledged now, reported once however often it is retried.
    const raidOnFirst = (acknowledged: ReferralStateFragment[]): OutcomeReport[] =>
      acknowledged.slice(0, 1).map((referral) => ({
        referralId: referral.id,
        kind: 'RAID',
        occurredAt: new Date().toISOString(),
        arrests: 3,
        densDestroyed: 1,
        seizedValue: { amount: 2_500_000_00, currency: 'CNY' },
        idempotencyKey: `raid-${referral.id}`,
      }));
    const result = await runAgencySync({
      ...commandLineSettings('AGENCY_LIAISON'),
      cursor,
      outcomes: values.raid ? raidOnFirst : [],
      onRetry: ({ operation, attempt, reason, delayMs }) =>
        console.error(`${operation}: ${reason}; attempt ${attempt + 1} in ${delayMs} ms`),
    });
    for (const change of result.changes)
      console.log(
        `#${change.seq} ${change.at} ${change.referral?.reference ?? '?'} ${change.kind} -> ${change.status}`,
      );
    for (const referral of result.acknowledged)
      console.log(
        `acknowledged ${referral.reference} as ${referral.agencyCaseReference} (version ${referral.version})`,
      );
    for (const outcome of result.recorded)
      console.log(`reported ${outcome.kind} on ${outcome.referral?.reference}: now ${outcome.referral?.status}`);
    for (const { referralId, operation, codes, messages } of result.refused)
      console.log(`${operation} on ${referralId} refused: ${codes.join(', ')} (${messages.join('; ')})`);
    // The acknowledgements and outcomes made now come in the next run's feed, after the stored cursor.
    if (result.cursor) fs.writeFileSync(cursorFile, result.cursor);
  })().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  });
}
