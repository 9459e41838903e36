import { useTestServer } from '../support/harness';
import { dataOf, startTestServer, TestServer } from '../support/server';
import { buildCase, mutate } from '../support/cases';

// A read's selection compiled into one SQL statement (src/shared/data-access/selection-sql.ts) answers
// exactly what the resolvers answer: each canonical read of the benchmark (bench/ops.mjs) and variants
// of it go to a server with the compiler and one without (GRAPHQL_COMPILE_SELECTIONS=false), for a brand,
// an agency and internal roles, and the two bodies must be the same text, cursors aside (each encryption
// draws a random IV): those are checked by paging on with them, each on the other server.

const {
  db,
  world,
  server: compiled,
} = useTestServer({
  beforeClose: async () => {
    await resolvers?.close();
  },
});
let resolvers: TestServer;
/** The last outcome's time (with milliseconds), as the API must write it back. */
let occurredAt = '';
const cases: { leadId: string; referralId?: string; investigationId: string }[] = [];

beforeAll(async () => {
  resolvers = await startTestServer(db, { GRAPHQL_COMPILE_SELECTIONS: 'false' });
  // Cases of brand A referred to agency X (some actioned, one declined), one of brand B referred to agency Y,
  // a draft referral (seen by internal roles only), and a lead never investigated (null investigation).
  for (let i = 0; i < 6; i += 1) {
    const c = await buildCase(compiled, world, { referTo: world.gid.agencyX, tag: `compiled ${i}` });
    cases.push(c as never);
    if (i % 2 === 0) {
      await mutate(
        compiled,
        world.keys.agencyX,
        'acknowledgeReferral',
        { referralId: c.referralId },
        'referral { id }',
      );
      occurredAt = new Date().toISOString();
      await mutate(
        compiled,
        world.keys.agencyX,
        'recordEnforcementOutcome',
        { referralId: c.referralId, kind: 'RAID', occurredAt, arrests: i },
        'outcome { id }',
      );
    }
  }
  cases.push((await buildCase(compiled, world, { referTo: world.gid.agencyY, brand: 'B', tag: 'brand B' })) as never);
  cases.push((await buildCase(compiled, world, { referTo: world.gid.agencyX, send: false, tag: 'draft' })) as never);
  await mutate(
    compiled,
    world.keys.brandA,
    'reportLead',
    { description: 'never investigated', sellerIds: [world.gid.sellerA] },
    'lead { id }',
  );
}, 120_000);

const CASE_LIST = `query CaseList($first: Int!) { leads(first: $first) { pageInfo { hasNextPage } nodes { id reference status riskScore createdAt
  sellers { displayName region status } investigation { reference status referrals { reference status sentAt agency { code name } outcomes { kind occurredAt arrests } } } } } }`;
const AGENCY_SYNC = `query AgencySync($first: Int!) { referrals(first: $first) { pageInfo { hasNextPage } nodes { id reference status sentAt
  disclosedEvidence { kind sha256 custodian } investigation { reference status leads(first: 10) { nodes { reference status sellers { displayName region } } } } } } }`;
const NODE = 'query Node($id: ID!) { node(id: $id) { id ... on Lead { reference status riskScore createdAt } } }';
/** Edges, cursors, aliases, fragments, __typename, both directions. */
const PAGED = `query Paged($first: Int, $last: Int, $after: String, $before: String) {
  page: leads(first: $first, last: $last, after: $after, before: $before) {
    __typename pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    edges { cursor node { __typename ...LeadFields } } again: nodes { reference }
  } }
  fragment LeadFields on Lead { id ref: reference closedAt triagedAt fastTrack version investigation { id closedAt leads(first: 2) { pageInfo { hasNextPage hasPreviousPage } nodes { reference } } } }`;

const roles = ['brandA', 'brandB', 'agencyX', 'agencyY', 'investigator', 'analyst'] as const;

/** The whole body but its extensions (the rate limit's bucket is each server's own), cursors and request ids replaced. */
const text = ({ extensions: _, ...body }: Record<string, unknown>) =>
  JSON.stringify(body, (key, value) =>
    (/cursor$/i.test(key) || key === 'requestId') && typeof value === 'string' ? '<varies>' : value,
  );

/** Both servers' bodies for one request; cursors replaced (compared by paging on with them). */
async function both(token: string, query: string, variables: Record<string, unknown>) {
  const [a, b] = await Promise.all([compiled.gql(token, query, variables), resolvers.gql(token, query, variables)]);
  expect(text(a.body)).toBe(text(b.body));
  expect(a.status).toBe(b.status);
  return { compiled: a.body, resolvers: b.body };
}

describe('a compiled selection answers what the resolvers answer', () => {
  it.each(roles)('the case list, for %s', async (role) => {
    for (const first of [50, 3, 1]) await both(world.keys[role], CASE_LIST, { first });
  });

  it("the case list matches the database (owner connection): the brand's leads, newest first", async () => {
    const { compiled: answer } = await both(world.keys.brandA, CASE_LIST, { first: 50 });
    const rows: { reference: string }[] = await db.dataSource.query(
      `SELECT l.reference FROM lead l JOIN lead_brand lb ON lb.lead_id = l.id WHERE lb.brand_id = $1 ORDER BY l.created_at DESC, l.id DESC`,
      [world.ids.brandA],
    );
    const leads = (answer as any).data.leads.nodes;
    expect(leads.map((l: any) => l.reference)).toEqual(rows.map((r) => r.reference));
    expect(leads.some((l: any) => l.investigation === null)).toBe(true);
    expect(leads.some((l: any) => l.investigation?.referrals.length === 0)).toBe(true); // the draft, hidden from the brand
    expect(leads.some((l: any) => l.investigation?.referrals[0]?.outcomes[0]?.occurredAt === occurredAt)).toBe(true);
  });

  it.each(roles)('the agency sync, for %s', async (role) => {
    for (const first of [100, 2]) await both(world.keys[role], AGENCY_SYNC, { first });
  });

  it.each(roles)('node lookups (visible, hidden, other types), for %s', async (role) => {
    for (const c of cases) {
      for (const id of [c.leadId, c.investigationId, c.referralId].filter(Boolean)) {
        await both(world.keys[role], NODE, { id });
        await both(
          world.keys[role],
          'query($id: ID!) { node(id: $id) { __typename id ... on Referral { reference status sentAt agency { code } } ... on Investigation { reference referrals { reference } } } }',
          { id },
        );
      }
    }
  });

  it.each(['brandA', 'agencyX', 'investigator'] as const)(
    'pages forward and backward with cursors that each path accepts from the other, for %s',
    async (role) => {
      const token = world.keys[role];
      const first = await both(token, PAGED, { first: 2 });
      const last = await both(token, PAGED, { last: 2 });
      expect((first.compiled as any).data.page.edges).toHaveLength(2);
      for (const page of [first, last]) {
        const mine = (page.compiled as any).data.page;
        const theirs = (page.resolvers as any).data.page;
        expect(mine.pageInfo.endCursor).toBe(mine.edges.at(-1).cursor);
        // A compiled cursor read by the resolvers, and the other way round: the same next and previous pages.
        const next = await both(token, PAGED, { first: 2, after: mine.pageInfo.endCursor });
        const nextOther = await both(token, PAGED, { first: 2, after: theirs.pageInfo.endCursor });
        expect(text(next.resolvers)).toBe(text(nextOther.compiled));
        const back = await both(token, PAGED, { last: 1, before: theirs.pageInfo.startCursor });
        const backOther = await both(token, PAGED, { last: 1, before: mine.pageInfo.startCursor });
        expect(text(back.compiled)).toBe(text(backOther.resolvers));
      }
    },
  );

  it('refuses the same bad input the same way', async () => {
    await both(world.keys.brandA, PAGED, { first: 2, last: 2 });
    await both(world.keys.brandA, PAGED, { first: 2, after: 'not-a-cursor' });
    await both(world.keys.brandA, PAGED, { first: 500 });
    await both(world.keys.brandA, NODE, { id: 'garbage' });
    // A nested list's bad size fails that field alone, as with the resolvers.
    await both(
      world.keys.agencyX,
      '{ referrals(first: 3) { nodes { reference investigation { leads(first: 500) { nodes { reference } } } } } }',
      {},
    );
  });

  it('declines what it cannot express and the resolvers answer it (masked and role-dependent fields)', async () => {
    const query =
      '{ leads(first: 5) { nodes { reference internalNotes investigation { internalNotes assignee { id } } } } }';
    for (const role of ['brandA', 'investigator', 'analyst'] as const) {
      const { compiled: answer } = await both(world.keys[role], query, {});
      const notes = (answer as any).data.leads.nodes.map((l: any) => l.internalNotes);
      expect(notes.some((n: unknown) => n !== null)).toBe(role !== 'brandA');
    }
    const { leads } = dataOf(await compiled.gql(world.keys.brandA, '{ leads(first: 1) { nodes { id } } }'));
    expect(leads.nodes).toHaveLength(1);
  });
});
