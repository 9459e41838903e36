#!/usr/bin/env node
// Load and soak driver: a mixed workload against a running server, for a set time, with autocannon.
//
//   npm run load -- --duration 600 --connections 20 --url http://localhost:4000 --keys .demo-keys.txt
//
// Each connection cycles through WORKLOAD with the demo keys of `npm start`: brand portal, agency sync
// and analyst reads, and cases driven from report to raid (brand, investigator and agency mutations). Prints throughput, latency percentiles, the
// count of failed requests (HTTP errors, GraphQL errors and mutation userErrors alike), and the server's
// memory (from its /metrics) at the start, every --sample seconds, and at the end. Run by hand, not in CI.
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';

const { values: args } = parseArgs({
  options: {
    url: { type: 'string', default: 'http://localhost:4000' },
    duration: { type: 'string', default: '60' },
    connections: { type: 'string', default: '20' },
    keys: { type: 'string', default: '.demo-keys.txt' },
    sample: { type: 'string', default: '60' },
  },
});
const baseUrl = args.url.replace(/\/$/, '');
const duration = Number(args.duration);
const connections = Number(args.connections);

// Demo key file lines: "ROLE   token   # description".
const keys = Object.fromEntries(
  fs
    .readFileSync(args.keys, 'utf8')
    .split('\n')
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => line.trim().split(/\s+/).slice(0, 2)),
);
for (const role of ['ADMIN', 'INVESTIGATOR', 'ANALYST', 'BRAND_PARTNER', 'AGENCY_LIAISON']) {
  if (!keys[role]) throw new Error(`no ${role} key in ${args.keys}`);
}

async function graphql(role, query, variables) {
  const response = await fetch(`${baseUrl}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${keys[role]}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = await response.json();
  if (body.errors) throw new Error(`${role}: ${JSON.stringify(body.errors)}`);
  return body.data;
}

// Ids the workload needs, read once through the API itself.
const { viewer: adminViewer } = await graphql('ADMIN', '{ viewer { id } }');
const { viewer: liaison } = await graphql('AGENCY_LIAISON', '{ viewer { agency { id code } } }');
const { listings: live } = await graphql(
  'BRAND_PARTNER',
  '{ listings(first: 100, filter: { status: [LIVE] }) { nodes { id title seller { id } } } }',
);
const { sellers } = await graphql(
  'INVESTIGATOR',
  '{ sellers(first: 20, orderBy: { field: STRIKE_COUNT, direction: DESC }) { nodes { id } } }',
);
if (!live.nodes.length || !liaison.agency)
  throw new Error('the demo data has no live listing for the brand key, or the agency key has no agency');
const sellerIds = sellers.nodes.map((s) => s.id);

const read = (name, role, query, variables) => ({ name, role, query, variables });
const mutation = (name, role, field, input, selection, remember) => ({
  name,
  role,
  query: `mutation ${field[0].toUpperCase()}${field.slice(1)}($input: ${field[0].toUpperCase()}${field.slice(1)}Input!) { ${field}(input: $input) { ${selection} userErrors { field message code } } }`,
  variables: (context) => ({ input: input(context) }),
  remember: remember && ((data, context) => remember(data[field], context)),
});

// Reads of each kind of client, referenced from the cycle below.
const READS = {
  portalListings: read(
    'brand portal: live listings with sellers',
    'BRAND_PARTNER',
    'query PortalListings { listings(first: 20, filter: { status: [LIVE] }) { totalCount pageInfo { hasNextPage endCursor } nodes { id title price { amount currency } seller { displayName region status } } } }',
  ),
  portalLeads: read(
    'brand portal: its leads',
    'BRAND_PARTNER',
    'query PortalLeads { leads(first: 20) { totalCount nodes { reference status riskScore createdAt listings(first: 5) { nodes { title status } } } } }',
  ),
  agencySync: {
    ...read(
      'agency tool: sync feed page',
      'AGENCY_LIAISON',
      'query AgencySync($after: String) { referralChanges(first: 100, after: $after) { pageInfo { hasNextPage endCursor } nodes { seq at kind status referral { id reference status } } } }',
    ),
    // Like a real sync client: each connection pages forward from where it stopped.
    variables: (context) => ({ after: context.syncCursor ?? null }),
    remember: (data, context) =>
      void (context.syncCursor = data.referralChanges.pageInfo.endCursor ?? context.syncCursor),
  },
  agencyReferrals: read(
    'agency tool: its referrals',
    'AGENCY_LIAISON',
    'query AgencyReferrals { referrals(first: 20) { totalCount nodes { reference status summary disclosedEvidence { kind storageKey } outcomes { kind arrests } } } }',
  ),
  analystSellers: read(
    'analyst: top sellers by strikes',
    'ANALYST',
    'query TopSellers { sellers(first: 10, filter: { region: ["CN-ZJ", "CN-GD"] }, orderBy: { field: STRIKE_COUNT, direction: DESC }) { totalCount nodes { displayName region strikeCount identifiers { kind valueHash } listings(first: 3) { totalCount } } } }',
  ),
  analystReferrals: read(
    'analyst: referrals by status',
    'ANALYST',
    'query ReferralFunnel { sent: referrals(first: 1, filter: { status: [SENT] }) { totalCount } acknowledged: referrals(first: 1, filter: { status: [ACKNOWLEDGED] }) { totalCount } acting: referrals(first: 1, filter: { status: [ACTION_TAKEN] }) { totalCount } leads(first: 1) { totalCount } }',
  ),
  investigatorSellers: read(
    'investigator: sellers by id',
    'INVESTIGATOR',
    'query SellersById($ids: [ID!]!) { nodes(ids: $ids) { id ... on Seller { displayName status strikeCount listings(first: 5) { nodes { title status brand { name } } } } } }',
    { ids: sellerIds },
  ),
  investigatorQueue: read(
    'investigator: open investigations',
    'INVESTIGATOR',
    'query Queue { investigations(first: 20, filter: { status: [EVIDENCE_GATHERING, READY_FOR_REFERRAL] }) { totalCount nodes { reference status evidence { kind } leads(first: 5) { nodes { reference } } } } }',
  ),
};

// One case from report to raid, chained through the connection's context (the ids each step returns).
let serial = 0;
const CASE = [
  mutation(
    'brand: report lead',
    'BRAND_PARTNER',
    'reportLead',
    (context) => {
      const listing = live.nodes[(serial += 1) % live.nodes.length];
      return { description: `Load test: ${listing.title}`, listingIds: [listing.id], sellerIds: [listing.seller.id] };
    },
    'lead { id }',
    (payload, context) => void (context.leadId = payload.lead.id),
  ),
  mutation(
    'investigator: triage lead',
    'INVESTIGATOR',
    'triageLead',
    (c) => ({ leadId: c.leadId, riskScore: 80 }),
    'lead { status }',
  ),
  mutation(
    'investigator: open investigation',
    'INVESTIGATOR',
    'openInvestigation',
    (c) => ({ leadIds: [c.leadId], summary: 'Load test purchase' }),
    'investigation { id }',
    (payload, context) => void (context.investigationId = payload.investigation.id),
  ),
  mutation(
    'investigator: add evidence',
    'INVESTIGATOR',
    'addEvidence',
    (c) => ({
      investigationId: c.investigationId,
      kind: 'TEST_PURCHASE',
      description: 'Item bought from the listing',
      collectedBy: 'Load test',
      collectedAt: new Date().toISOString(),
      sha256: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
      storageKey: `load/${c.investigationId}.pdf`,
    }),
    'evidence { id }',
    (payload, context) => void (context.evidenceId = payload.evidence.id),
  ),
  mutation(
    'investigator: mark ready',
    'INVESTIGATOR',
    'markInvestigationReady',
    (c) => ({ investigationId: c.investigationId }),
    'investigation { status }',
  ),
  mutation(
    'investigator: create referral',
    'INVESTIGATOR',
    'createReferral',
    (c) => ({
      investigationId: c.investigationId,
      agencyId: liaison.agency.id,
      evidenceIds: [c.evidenceId],
      summary: 'Load test referral',
    }),
    'referral { id }',
    (payload, context) => void (context.referralId = payload.referral.id),
  ),
  mutation(
    'investigator: send referral',
    'INVESTIGATOR',
    'sendReferral',
    (c) => ({ referralId: c.referralId }),
    'referral { status }',
  ),
  mutation(
    'agency: acknowledge referral',
    'AGENCY_LIAISON',
    'acknowledgeReferral',
    (c) => ({ referralId: c.referralId, agencyCaseReference: `LOAD-${c.referralId}` }),
    'referral { status }',
  ),
  mutation(
    'agency: report raid',
    'AGENCY_LIAISON',
    'recordEnforcementOutcome',
    (c) => ({
      referralId: c.referralId,
      kind: 'RAID',
      occurredAt: new Date().toISOString(),
      arrests: 1,
    }),
    'outcome { kind }',
  ),
];

// Admin key rotation: a key for the admin principal, revoked at once.
let rotation = 0;
const ROTATION = [
  mutation(
    'admin: create API key',
    'ADMIN',
    'createApiKey',
    () => ({ principalId: adminViewer.id, name: `load-${process.pid}-${(rotation += 1)}` }),
    'apiKey { id }',
    (payload, context) => void (context.apiKeyId = payload.apiKey.id),
  ),
  mutation('admin: revoke API key', 'ADMIN', 'revokeApiKey', (c) => ({ apiKeyId: c.apiKeyId }), 'apiKey { revokedAt }'),
];

// Each connection's cycle: two reads between case steps, so about a third of the requests write.
const R = READS;
const WORKLOAD = [
  R.portalListings,
  R.agencySync,
  CASE[0],
  R.analystSellers,
  R.portalListings,
  CASE[1],
  R.investigatorQueue,
  R.agencySync,
  CASE[2],
  R.portalLeads,
  R.investigatorSellers,
  CASE[3],
  R.portalListings,
  R.agencyReferrals,
  CASE[4],
  R.analystReferrals,
  R.agencySync,
  CASE[5],
  R.portalListings,
  R.analystSellers,
  CASE[6],
  R.agencySync,
  R.investigatorQueue,
  CASE[7],
  R.portalLeads,
  R.agencyReferrals,
  CASE[8],
  R.portalListings,
  R.agencySync,
  ROTATION[0],
  R.analystSellers,
  R.investigatorSellers,
  ROTATION[1],
];

const failures = new Map(); // request name -> { count, example }
const fail = (name, example) => {
  const entry = failures.get(name) ?? { count: 0, example };
  entry.count += 1;
  failures.set(name, entry);
};

function request(item) {
  return {
    method: 'POST',
    path: '/graphql',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${keys[item.role]}` },
    setupRequest: (req, context) => ({
      ...req,
      body: JSON.stringify({
        query: item.query,
        variables: typeof item.variables === 'function' ? item.variables(context) : item.variables,
      }),
    }),
    onResponse: (status, body, context) => {
      let parsed;
      try {
        parsed = JSON.parse(body);
      } catch {
        return fail(item.name, `HTTP ${status}: unreadable body`);
      }
      const payloadErrors = Object.values(parsed.data ?? {}).flatMap((field) => field?.userErrors ?? []);
      if (status !== 200 || parsed.errors || payloadErrors.length) {
        return fail(item.name, `HTTP ${status}: ${JSON.stringify(parsed.errors ?? payloadErrors).slice(0, 300)}`);
      }
      item.remember?.(parsed.data, context);
    },
  };
}

const cycle = WORKLOAD.map(request);

async function serverMemory() {
  const text = await (await fetch(`${baseUrl}/metrics`)).text();
  const value = (name) => Number(text.match(new RegExp(`^${name} (\\S+)$`, 'm'))?.[1] ?? NaN);
  return {
    rssMiB: value('process_resident_memory_bytes') / 2 ** 20,
    heapUsedMiB: value('nodejs_heap_size_used_bytes') / 2 ** 20,
    eventLoopLagP99Ms: value('nodejs_eventloop_lag_p99_seconds') * 1000,
    poolInUse: value('db_pool_connections\\{state="in_use"\\}'),
  };
}
const mib = (n) => `${n.toFixed(1)} MiB`;
const memoryLine = (label, m) =>
  `${label.padEnd(8)} rss ${mib(m.rssMiB)}  heap used ${mib(m.heapUsedMiB)}  event loop lag p99 ${m.eventLoopLagP99Ms.toFixed(1)} ms`;

const start = await serverMemory();
console.log(`load: ${baseUrl}, ${connections} connections, ${duration} s; mix per cycle: ${cycle.length} requests`);
console.log(memoryLine('start', start));

// Latencies of every response, for exact percentiles (autocannon reports p97.5, not p95).
let latencies = new Float64Array(1 << 16);
let count = 0;
const startedAt = Date.now();
const instance = autocannon({ url: baseUrl, connections, duration, requests: cycle, timeout: 30 });
instance.on('response', (_client, _status, _bytes, ms) => {
  if (count === latencies.length) {
    const grown = new Float64Array(latencies.length * 2);
    grown.set(latencies);
    latencies = grown;
  }
  latencies[count++] = ms;
});
const sampler = setInterval(
  async () => {
    const label = `${Math.round((Date.now() - startedAt) / 1000)} s`;
    const m = await serverMemory().catch((error) =>
      console.log(`${label.padEnd(8)} server unreachable: ${error.cause?.code ?? error.message}`),
    );
    if (m) console.log(memoryLine(label, m) + `  requests ${count}`);
  },
  Number(args.sample) * 1000,
);
const result = await instance;
clearInterval(sampler);
const end = await serverMemory();

const sorted = latencies.subarray(0, count).sort();
const percentile = (p) => sorted[Math.min(count - 1, Math.floor((p / 100) * count))] ?? NaN;
const failed = [...failures.values()].reduce((sum, f) => sum + f.count, 0);
console.log(memoryLine('end', end));
console.log(`
requests     ${count} in ${((Date.now() - startedAt) / 1000).toFixed(0)} s: ${(count / result.duration).toFixed(1)} req/s (autocannon: ${result.requests.average} req/s average)
latency      p50 ${percentile(50).toFixed(1)} ms   p95 ${percentile(95).toFixed(1)} ms   p99 ${percentile(99).toFixed(1)} ms   max ${sorted[count - 1]?.toFixed(1)} ms
errors       ${failed} failed answers, ${result.errors} connection errors, ${result.timeouts} timeouts, ${result.non2xx} non-2xx
memory       rss ${mib(start.rssMiB)} -> ${mib(end.rssMiB)}   heap used ${mib(start.heapUsedMiB)} -> ${mib(end.heapUsedMiB)}`);
for (const [name, { count: n, example }] of failures) console.log(`  ${n} x ${name}: ${example}`);
process.exit(failed || result.errors || result.timeouts ? 1 : 0);
