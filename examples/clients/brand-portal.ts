// The brand portal, typed: who am I, report a counterfeit (optional), every case of the brand page by page,
// and each case in full: its sellers, investigation, referrals with their outcomes, and history.
//
//   npm run codegen && npx tsc -p examples/clients && node dist/examples/clients/brand-portal.js
//   node dist/examples/clients/brand-portal.js --report "Fake bags in Yiwu" [--seller <id>] [--listing <id>]
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import {
  BrandCasesDocument,
  CaseDetailDocument,
  InvestigationHistoryDocument,
  ReferralOutcomesDocument,
  ReportLeadDocument,
  ViewerDocument,
  type CaseDetailQuery,
  type CaseSummaryFragment,
  type HistoryEventFragment,
  type OutcomeFieldsFragment,
  type ReportLeadInput,
  type ReportLeadMutation,
  type ViewerQuery,
} from '../generated/graphql.js';
import {
  accepted,
  commandLineSettings,
  createApiClient,
  paginate,
  present,
  type ApiClientOptions,
} from './api-client.js';

/** A case as CaseDetail answers it (the node is a Lead). */
export type CaseDetail = Extract<NonNullable<CaseDetailQuery['node']>, { reference: string }>;
/** A referral of the case, with what the agency reported on it. */
export type CaseReferral = NonNullable<CaseDetail['investigation']>['referrals'][number] & {
  outcomes: OutcomeFieldsFragment[];
};

export interface BrandPortalOptions extends ApiClientOptions {
  /**
   * A new report to make first. Its `idempotencyKey` belongs to this one intended report (make it once, for
   * example when the user clicks, and keep it): every retry sends the same key.
   */
  report?: ReportLeadInput & { idempotencyKey: string };
  /** Cases per page (1-100; default 50). */
  pageSize?: number;
  /** How many cases to open in full, newest first (default: all). */
  openCases?: number;
  /** History events per page (1-100; default 50). */
  historyPageSize?: number;
}

export interface BrandPortalResult {
  viewer: NonNullable<ViewerQuery['viewer']>;
  reported: NonNullable<ReportLeadMutation['reportLead']>['lead'] | null;
  totalCount: number;
  pages: number;
  cases: CaseSummaryFragment[];
  details: { case: CaseDetail; referrals: CaseReferral[]; history: HistoryEventFragment[]; historyPages: number }[];
}

export async function runBrandPortal(options: BrandPortalOptions): Promise<BrandPortalResult> {
  const api = createApiClient(options);
  const pageSize = options.pageSize ?? 50;
  const historyPageSize = options.historyPageSize ?? 50;

  const viewer = present((await api.query(ViewerDocument, {})).viewer, 'viewer');

  // A lost answer (HTTP 503 OUTCOME_UNKNOWN, or none at all) is retried by the client with the same key.
  let reported: BrandPortalResult['reported'] = null;
  if (options.report) {
    const payload = accepted(
      'reportLead',
      (await api.mutate(ReportLeadDocument, { input: options.report })).reportLead,
    );
    reported = payload.lead;
  }

  // The case list, following endCursor until hasNextPage is false.
  let totalCount = 0;
  const { nodes: cases, pages } = await paginate(async (after) => {
    const leads = present((await api.query(BrandCasesDocument, { first: pageSize, after })).leads, 'leads');
    totalCount = leads.totalCount;
    return leads;
  });

  const details: BrandPortalResult['details'] = [];
  for (const summary of cases.slice(0, options.openCases ?? cases.length)) {
    const node = present(
      (await api.query(CaseDetailDocument, { id: summary.id, historyFirst: historyPageSize })).node,
      `case ${summary.reference}`,
    );
    if (!('reference' in node)) throw new Error(`${summary.id} is not a lead`);
    const detail = node as CaseDetail;
    const investigation = detail.investigation;
    if (!investigation) {
      details.push({ case: detail, referrals: [], history: [], historyPages: 0 });
      continue;
    }
    // The outcomes of all its referrals in one request (one entry per id, in order; null if out of scope).
    const ids = investigation.referrals.map((r) => r.id);
    const outcomes = ids.length ? present((await api.query(ReferralOutcomesDocument, { ids })).nodes, 'nodes') : [];
    const referrals = investigation.referrals.map((referral, i) => {
      const node = outcomes[i];
      return { ...referral, outcomes: node && 'outcomes' in node ? node.outcomes : [] };
    });
    // The first page of history came with the case; the next ones from where it stopped.
    const first = investigation.history;
    const rest = first.pageInfo.hasNextPage
      ? await paginate(async (after) => {
          const next = present(
            (await api.query(InvestigationHistoryDocument, { id: investigation.id, first: historyPageSize, after }))
              .node,
            `history of ${investigation.reference}`,
          );
          if (!('history' in next)) throw new Error(`${investigation.id} is not an investigation`);
          return next.history;
        }, first.pageInfo.endCursor)
      : { nodes: [], pages: 0 };
    details.push({ case: detail, referrals, history: [...first.nodes, ...rest.nodes], historyPages: 1 + rest.pages });
  }
  return { viewer, reported, totalCount, pages, cases, details };
}

function print(result: BrandPortalResult): void {
  console.log(
    `${result.viewer.brand?.name ?? result.viewer.name}: ${result.totalCount} case(s) in ${result.pages} page(s)`,
  );
  if (result.reported) console.log(`reported ${result.reported.reference} (${result.reported.status})`);
  for (const { case: c, referrals, history } of result.details) {
    const outcomes = referrals.flatMap((r) => r.outcomes.map((o) => o.kind)).join(', ') || 'no outcome yet';
    console.log(
      `${c.reference} ${c.status.padEnd(13)} ${c.sellers.map((s) => s.displayName).join('; ')} | ${referrals.map((r) => `${r.reference} ${r.status} (${r.agency?.name ?? '?'})`).join('; ') || '-'} | ${outcomes} | ${history.length} event(s)`,
    );
  }
  const unopened = result.cases.length - result.details.length;
  if (unopened > 0) console.log(`... and ${unopened} older case(s): --open ${result.cases.length} opens them all`);
}

if (require.main === module) {
  const { values } = parseArgs({
    options: {
      report: { type: 'string' },
      seller: { type: 'string', multiple: true },
      listing: { type: 'string', multiple: true },
      open: { type: 'string' },
    },
  });
  const report = values.report
    ? {
        description: values.report,
        sellerIds: values.seller ?? [],
        listingIds: values.listing ?? [],
        idempotencyKey: randomUUID(),
      }
    : undefined;
  runBrandPortal({
    ...commandLineSettings('BRAND_PARTNER'),
    report,
    openCases: values.open ? Number(values.open) : 20,
    onRetry: ({ operation, attempt, reason, delayMs }) =>
      console.error(`${operation}: ${reason}; attempt ${attempt + 1} in ${delayMs} ms`),
  }).then(print, (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  });
}
