// The canonical operations, as each system is asked for them, and how each answer is reduced
// to one comparable form (ids differ by design: each system has its own global ids; nested lists whose
// order no system promises are sorted; timestamps are compared as instants).

const gql = (path, query, variables) => ({ path, body: JSON.stringify({ query, variables }) });

export const OPS = [
  {
    key: 'caseList',
    title: '(1) brand portal case list, first 50',
    caller: 'brand',
    ours: (ctx, v = { first: 50 }) =>
      gql(
        '/graphql',
        `query CaseList($first: Int!) { leads(first: $first) { pageInfo { hasNextPage } nodes { id reference status riskScore createdAt
      sellers { displayName region status } investigation { reference status referrals { reference status sentAt agency { code name } outcomes { kind occurredAt arrests } } } } } }`,
        v,
      ),
    postgraphile: (ctx, v = { first: 50 }) =>
      gql(
        '/graphql',
        `query CaseList($first: Int!) { allLeads(first: $first, orderBy: [CREATED_AT_DESC, ROW_ID_DESC]) { pageInfo { hasNextPage }
      nodes { id reference status riskScore createdAt leadSellersByLeadId { nodes { sellerBySellerId { displayName region status } } }
        investigationByInvestigationId { reference status referralsByInvestigationId { nodes { reference status sentAt agencyByAgencyId { code name }
          enforcementOutcomesByReferralId { nodes { kind occurredAt arrests } } } } } } } }`,
        v,
      ),
    bare: (ctx, v = { first: 50 }) => ({ path: '/op/caseList', body: JSON.stringify(v) }),
    fromPostgraphile: (d) => ({
      leads: {
        pageInfo: d.allLeads.pageInfo,
        nodes: d.allLeads.nodes.map((l) => ({
          id: l.id,
          reference: l.reference,
          status: l.status,
          riskScore: l.riskScore,
          createdAt: l.createdAt,
          sellers: l.leadSellersByLeadId.nodes.map((n) => n.sellerBySellerId),
          investigation: l.investigationByInvestigationId && {
            reference: l.investigationByInvestigationId.reference,
            status: l.investigationByInvestigationId.status,
            referrals: l.investigationByInvestigationId.referralsByInvestigationId.nodes.map((r) => ({
              reference: r.reference,
              status: r.status,
              sentAt: r.sentAt,
              agency: r.agencyByAgencyId,
              outcomes: r.enforcementOutcomesByReferralId.nodes,
            })),
          },
        })),
      },
    }),
    // Nesting depth of the selection (lists and objects below the root field): leads > investigation > referrals > agency/outcomes.
    depth: 4,
  },
  {
    key: 'agencySync',
    title: '(2) agency sync, 100 referrals',
    caller: 'agency',
    ours: (ctx, v = { first: 100 }) =>
      gql(
        '/graphql',
        `query AgencySync($first: Int!) { referrals(first: $first) { pageInfo { hasNextPage } nodes { id reference status sentAt
      disclosedEvidence { kind sha256 custodian } investigation { reference status leads(first: 10) { nodes { reference status sellers { displayName region } } } } } } }`,
        v,
      ),
    postgraphile: (ctx, v = { first: 100 }) =>
      gql(
        '/graphql',
        `query AgencySync($first: Int!) { allReferrals(first: $first, orderBy: [CREATED_AT_DESC, ROW_ID_DESC]) { pageInfo { hasNextPage }
      nodes { id reference status sentAt referralEvidencesByReferralId { nodes { evidenceByEvidenceId { kind sha256 custodian } } }
        investigationByInvestigationId { reference status leadsByInvestigationId(first: 10, orderBy: [CREATED_AT_DESC, ROW_ID_DESC]) {
          nodes { reference status leadSellersByLeadId { nodes { sellerBySellerId { displayName region } } } } } } } } }`,
        v,
      ),
    bare: (ctx, v = { first: 100 }) => ({ path: '/op/agencySync', body: JSON.stringify(v) }),
    fromPostgraphile: (d) => ({
      referrals: {
        pageInfo: d.allReferrals.pageInfo,
        nodes: d.allReferrals.nodes.map((r) => ({
          id: r.id,
          reference: r.reference,
          status: r.status,
          sentAt: r.sentAt,
          disclosedEvidence: r.referralEvidencesByReferralId.nodes.map((n) => n.evidenceByEvidenceId),
          investigation: r.investigationByInvestigationId && {
            reference: r.investigationByInvestigationId.reference,
            status: r.investigationByInvestigationId.status,
            leads: {
              nodes: r.investigationByInvestigationId.leadsByInvestigationId.nodes.map((l) => ({
                reference: l.reference,
                status: l.status,
                sellers: l.leadSellersByLeadId.nodes.map((n) => n.sellerBySellerId),
              })),
            },
          },
        })),
      },
    }),
    depth: 5,
  },
  {
    key: 'node',
    title: '(3) node(id:) of a lead',
    caller: 'brand',
    ours: (ctx) =>
      gql(
        '/graphql',
        'query Node($id: ID!) { node(id: $id) { id ... on Lead { reference status riskScore createdAt } } }',
        { id: ctx.ids.ours.lead },
      ),
    postgraphile: (ctx) =>
      gql(
        '/graphql',
        'query Node($id: ID!) { node(id: $id) { id ... on Lead { reference status riskScore createdAt } } }',
        { id: ctx.ids.postgraphile.lead },
      ),
    bare: (ctx) => ({ path: '/op/node', body: JSON.stringify({ id: ctx.ids.ours.lead }) }),
    fromPostgraphile: (d) => d,
    depth: 1,
  },
  {
    key: 'funnelBrand',
    title: '(4a) enforcement funnel, one brand',
    caller: 'brand',
    ...funnel(),
  },
  {
    key: 'funnelAll',
    title: '(4b) enforcement funnel, everything',
    caller: 'analyst',
    ...funnel(),
  },
  {
    key: 'takedowns',
    title: '(5) monthly takedowns of a region, 12 months',
    caller: 'analyst',
    ours: (ctx) =>
      gql(
        '/graphql',
        `query Takedowns($from: DateTimeISO!, $to: DateTimeISO!, $regions: [String!]!) { analytics(filter: { from: $from, to: $to, regions: $regions }) {
      takedownSeries(granularity: MONTH) { buckets { start listingsTakenDown listingsReinstated sellersRestricted sellersSuspended sellersClosed } } } }`,
        ctx.period,
      ),
    postgraphile: (ctx) =>
      gql(
        '/graphql',
        `query Takedowns($from: Datetime!, $to: Datetime!, $regions: [String]!) { benchTakedownSeries(fromAt: $from, toAt: $to, regions: $regions) {
      nodes { start listingsTakenDown listingsReinstated sellersRestricted sellersSuspended sellersClosed } } }`,
        ctx.period,
      ),
    bare: (ctx) => ({ path: '/op/takedowns', body: JSON.stringify(ctx.period) }),
    fromPostgraphile: (d) => ({ analytics: { takedownSeries: { buckets: d.benchTakedownSeries.nodes } } }),
    depth: 2,
  },
  {
    key: 'reportLead',
    title: '(6) reportLead (mutation)',
    caller: 'brand',
    mutation: true,
    ours: (ctx) =>
      gql(
        '/graphql',
        `mutation Report($input: ReportLeadInput!) { reportLead(input: $input) { lead { id reference status riskScore description } userErrors { code message } } }`,
        {
          input: {
            description: 'bench: counterfeit handbags',
            riskScore: 60,
            sellerIds: [ctx.ids.ours.seller],
            listingIds: [ctx.ids.ours.listing],
          },
        },
      ),
    postgraphile: (ctx) =>
      gql(
        '/graphql',
        `mutation Report($input: BenchReportLeadInput!) { benchReportLead(input: $input) { result { id reference status riskScore description } } }`,
        {
          input: {
            description: 'bench: counterfeit handbags',
            riskScore: 60,
            sellerIds: [ctx.rows.seller],
            listingIds: [ctx.rows.listing],
          },
        },
      ),
    bare: (ctx) => ({
      path: '/op/reportLead',
      body: JSON.stringify({
        description: 'bench: counterfeit handbags',
        riskScore: 60,
        sellerIds: [ctx.rows.seller],
        listingIds: [ctx.rows.listing],
      }),
    }),
    fromPostgraphile: (d) => ({ reportLead: { lead: d.benchReportLead.result, userErrors: [] } }),
    // A new lead each time: its reference differs, the rest must agree.
    comparable: (d) => ({
      ...d,
      reportLead: {
        ...d.reportLead,
        lead: d.reportLead.lead && {
          ...d.reportLead.lead,
          reference: /^LD-\d{4}-\d{6}$/.test(d.reportLead.lead.reference),
        },
      },
    }),
    depth: 2,
  },
  // Two sequences of this API only (`only`): PostGraphile and the bare server would each need the whole service
  // layer rewritten as SQL functions (lifecycle checks, idempotency, cascades, audit events, the sync feed,
  // strikes and sellers' escalation) to do the same work: that is a second implementation, not a comparison of
  // servers (docs/benchmarks.md, "Write path"). Each iteration of a client runs `run(call, ctx, n)` with its own n;
  // `call(caller, document, variables)` answers the mutation's field and throws on an error or a user error.
  {
    key: 'wholeCase',
    title: '(7) whole case, report -> outcome (nine mutations; req/s = mutations answered per second)',
    caller: 'brand',
    mutation: true,
    only: ['ours'],
    requestsPerIteration: 9,
    run: async (call, ctx, n) => {
      const m = (caller, name, input, selection) =>
        call(
          caller,
          `mutation($input: ${name[0].toUpperCase()}${name.slice(1)}Input!) { ${name}(input: $input) { ${selection} userErrors { code message } } }`,
          { input },
        );
      const { lead } = await m(
        'brand',
        'reportLead',
        { description: `bench case ${n}`, sellerIds: [ctx.ids.ours.seller] },
        'lead { id }',
      );
      await m('investigator', 'triageLead', { leadId: lead.id, riskScore: 80 }, 'lead { id }');
      const { investigation } = await m(
        'investigator',
        'openInvestigation',
        { leadIds: [lead.id], summary: 'bench' },
        'investigation { id }',
      );
      const { evidence } = await m(
        'investigator',
        'addEvidence',
        {
          investigationId: investigation.id,
          kind: 'TEST_PURCHASE',
          description: 'bought',
          sha256: String(n).padStart(64, 'b'),
          storageKey: `s3://bench/${n}`,
          collectedBy: 'bench',
          collectedAt: '2026-01-01T00:00:00Z',
        },
        'evidence { id }',
      );
      await m('investigator', 'markInvestigationReady', { investigationId: investigation.id }, 'investigation { id }');
      const { referral } = await m(
        'investigator',
        'createReferral',
        {
          investigationId: investigation.id,
          agencyId: ctx.ids.ours.agency,
          evidenceIds: [evidence.id],
          summary: 'bench',
        },
        'referral { id }',
      );
      await m('investigator', 'sendReferral', { referralId: referral.id }, 'referral { id }');
      await m('agency', 'acknowledgeReferral', { referralId: referral.id }, 'referral { id }');
      await m(
        'agency',
        'recordEnforcementOutcome',
        { referralId: referral.id, kind: 'RAID', occurredAt: new Date().toISOString(), arrests: 1 },
        'outcome { id }',
      );
    },
    depth: 2,
  },
  {
    key: 'takedown300',
    title: '(8) takeDownListings of 300 listings (req/s = takedowns of 300 per second)',
    caller: 'investigator',
    mutation: true,
    only: ['ours'],
    requestsPerIteration: 1,
    // Each takedown needs 300 listings still live: batches made for the run (bench/run.mjs, takedownBatches),
    // enough for three runs of 8 s at 20 takedowns a second (200 ran out before the 50-connection run).
    batches: 500,
    run: async (call, ctx, n) => {
      const listingIds = ctx.takedownBatches[n];
      if (!listingIds) return false; // every batch taken down: the run ends early
      const { listings } = await call(
        'investigator',
        'mutation($input: TakeDownListingsInput!) { takeDownListings(input: $input) { listings { id status } userErrors { code message } } }',
        { input: { listingIds, reason: `bench takedown ${n}` } },
      );
      if (listings.length !== listingIds.length || listings.some((l) => l.status !== 'TAKEN_DOWN'))
        throw new Error(`takedown ${n}: not every listing taken down`);
      return true;
    },
    depth: 2,
  },
  // Bulk reporting, this API only (PostGraphile has no equivalent; see the note above wholeCase): 300 reports of
  // the bench brand in one request, each with its own idempotency key, as the marketplace's notice-and-takedown
  // tool sends them. Compare its items per second (req/s x 300) with reportLead's req/s (one lead per request).
  {
    key: 'reportLeads300',
    title: '(9) reportLeads of 300 items (req/s = batches of 300 per second; items/s = 300 x req/s)',
    caller: 'brand',
    mutation: true,
    only: ['ours'],
    requestsPerIteration: 1,
    itemsPerRequest: 300,
    run: async (call, ctx, n) => {
      const items = Array.from({ length: 300 }, (_, i) => ({
        description: `bench bulk ${n}/${i}: counterfeit handbags`,
        reporterPriority: 60,
        sellerIds: [ctx.ids.ours.seller],
        listingIds: [ctx.ids.ours.listing],
        idempotencyKey: `bench-bulk-${n}-${i}`,
      }));
      const { results } = await call(
        'brand',
        'mutation($input: ReportLeadsInput!) { reportLeads(input: $input) { results { index outcome lead { id reference } userErrors { code message } } userErrors { code message } } }',
        { input: { items } },
      );
      const created = results.filter((r) => r.outcome === 'CREATED').length;
      if (created !== items.length) throw new Error(`reportLeads ${n}: ${created} of ${items.length} created`);
      return true;
    },
    depth: 3,
  },
];

function funnel() {
  return {
    ours: () =>
      gql(
        '/graphql',
        'query Funnel { analytics { enforcementFunnel { leads triaged investigated referred actioned convicted } } }',
        {},
      ),
    postgraphile: () =>
      gql(
        '/graphql',
        'query Funnel { benchEnforcementFunnel { leads triaged investigated referred actioned convicted } }',
        {},
      ),
    bare: () => ({ path: '/op/funnel', body: '{}' }),
    fromPostgraphile: (d) => ({ analytics: { enforcementFunnel: d.benchEnforcementFunnel } }),
    depth: 2,
  };
}

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:?\d\d)$/;

/** The comparable form of an answer's data: ids dropped, timestamps as ISO instants, unordered lists sorted. */
export function canonical(op, system, data) {
  let d = system === 'postgraphile' ? op.fromPostgraphile(data) : data;
  if (op.comparable) d = op.comparable(d);
  const walk = (value, depth) => {
    if (Array.isArray(value)) {
      const items = value.map((v) => walk(v, depth + 1));
      // The page itself (the first list met) keeps its order; nested lists are compared as sets.
      return depth <= 3 ? items : items.sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));
    }
    if (value && typeof value === 'object') {
      return Object.fromEntries(
        Object.entries(value)
          .filter(([k]) => k !== 'id')
          .sort(([a], [b]) => (a < b ? -1 : 1))
          .map(([k, v]) => [k, walk(v, depth + 1)]),
      );
    }
    if (typeof value === 'string' && ISO.test(value)) return new Date(value).toISOString();
    return value;
  };
  return walk(d, 0);
}

/** The first path where two canonical answers differ, or null. */
export function firstDifference(a, b, path = '') {
  if (JSON.stringify(a) === JSON.stringify(b)) return null;
  if (a && b && typeof a === 'object' && typeof b === 'object') {
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
      const d = firstDifference(a[k], b[k], `${path}/${k}`);
      if (d) return d;
    }
  }
  return `${path || '/'}: ${JSON.stringify(a)?.slice(0, 160)} vs ${JSON.stringify(b)?.slice(0, 160)}`;
}
