// Cross-tenant attempts on every lifecycle root field, node/nodes, filter and nested path: brand A learns
// nothing of brand B, agency X nothing of agency Y's referrals nor of drafts; internal fields stay internal.
import { World } from '../support/fixtures';
import { dataOf } from '../support/server';
import { useTestServer } from '../support/harness';
import { buildLifecycleScopeDataset } from './lifecycle-scope-dataset';

const { world, server } = useTestServer();

/** Global ids of the dataset, by name. */
const id: Record<string, string> = {};
let investigatorPrincipalId: string;

const q = async (token: string, query: string, variables: Record<string, unknown> = {}) =>
  dataOf(await server.gql(token, query, variables));
const sorted = (values: string[]) => [...values].sort();
const nodeIds = (connection: { nodes: { id: string }[] }) => sorted(connection.nodes.map((n) => n.id));
const listIds = (list: { id: string }[]) => sorted(list.map((n) => n.id));
const named = (...names: string[]) => sorted(names.map((name) => id[name]));

beforeAll(async () => {
  const dataset = await buildLifecycleScopeDataset(server, world);
  Object.assign(id, dataset.id);
  investigatorPrincipalId = dataset.investigatorPrincipalId;
});

const ROOTS = `query($brandB: [ID!], $agencyY: [ID!], $assignee: [ID!], $brandA: [ID!]) {
  leads(first: 100) { totalCount nodes { id } }
  leadsOfB: leads(filter: { brandIds: $brandB }) { totalCount nodes { id } }
  leadsOfA: leads(filter: { brandIds: $brandA }) { totalCount nodes { id } }
  investigations(first: 100) { totalCount nodes { id } }
  assigned: investigations(filter: { assigneeIds: $assignee }) { totalCount nodes { id } }
  referrals(first: 100) { totalCount nodes { id } }
  referralsToY: referrals(filter: { agencyIds: $agencyY }) { totalCount nodes { id } }
  drafts: referrals(filter: { status: [DRAFT] }) { totalCount nodes { id } }
  referralChanges(first: 100) { totalCount nodes { kind referral { id } outcome { id } } }
  sellers(first: 100) { totalCount nodes { id } }
  sellersOfB: sellers(filter: { brandIds: $brandB }) { totalCount nodes { id } }
}`;
const rootVariables = () => ({
  brandB: [world.gid.brandB],
  brandA: [world.gid.brandA],
  agencyY: [world.gid.agencyY],
  assignee: [investigatorPrincipalId],
});

/** Connection with exactly these records, and a totalCount that counts only them. */
const exactly = (connection: any, names: string[]) => {
  expect(nodeIds(connection)).toEqual(named(...names));
  expect(connection.totalCount).toBe(names.length);
};

describe('root fields', () => {
  it('brand A: its own cases only; filters naming brand B or an assignee find nothing', async () => {
    const data = await q(world.keys.brandA, ROOTS, rootVariables());
    exactly(data.leads, ['leadA', 'leadD', 'leadShared']);
    exactly(data.leadsOfB, []);
    exactly(data.leadsOfA, ['leadA', 'leadD', 'leadShared']);
    exactly(data.investigations, ['invA', 'invD']);
    exactly(data.assigned, []);
    exactly(data.referrals, ['refAX', 'refAY']);
    exactly(data.referralsToY, ['refAY']);
    exactly(data.drafts, []);
    // Its referrals' changes: refAX sent, acknowledged, raid; refAY sent.
    expect(data.referralChanges.totalCount).toBe(4);
    expect(new Set(data.referralChanges.nodes.map((c: any) => c.referral.id))).toEqual(new Set([id.refAX, id.refAY]));
    expect(data.sellersOfB).toEqual({ totalCount: 0, nodes: [] });
    expect(nodeIds(data.sellers)).toEqual(sorted([world.gid.sellerA, world.gid.sellerAB]));
  });

  it('brand B: symmetric', async () => {
    const data = await q(world.keys.brandB, ROOTS, { ...rootVariables(), brandB: [world.gid.brandA] });
    exactly(data.leads, ['leadB', 'leadBOnShared', 'leadShared']);
    exactly(data.leadsOfB, []); // filter naming brand A
    exactly(data.investigations, ['invB']);
    exactly(data.referrals, ['refBY']);
    exactly(data.drafts, []);
    expect(data.referralChanges.totalCount).toBe(3);
    expect(data.referralChanges.nodes.every((c: any) => c.referral.id === id.refBY)).toBe(true);
    expect(data.sellersOfB).toEqual({ totalCount: 0, nodes: [] });
  });

  it("agency X: the referral sent to it, never Y's nor drafts, and only the case behind it", async () => {
    const data = await q(world.keys.agencyX, ROOTS, rootVariables());
    exactly(data.referrals, ['refAX']);
    exactly(data.referralsToY, []);
    exactly(data.drafts, []);
    exactly(data.leads, ['leadA']);
    exactly(data.leadsOfB, []);
    exactly(data.investigations, ['invA']);
    exactly(data.assigned, []);
    expect(data.referralChanges.nodes.map((c: any) => [c.kind, c.referral.id, c.outcome?.id ?? null])).toEqual([
      ['SENT', id.refAX, null],
      ['ACKNOWLEDGED', id.refAX, null],
      ['OUTCOME_RECORDED', id.refAX, id.outAX],
    ]);
    expect(data.referralChanges.totalCount).toBe(3);
    expect(nodeIds(data.sellers)).toEqual([world.gid.sellerA]);
    expect(data.sellersOfB).toEqual({ totalCount: 0, nodes: [] });
  });

  it('agency Y: the referrals sent to it', async () => {
    const data = await q(world.keys.agencyY, ROOTS, { ...rootVariables(), agencyY: [world.gid.agencyX] });
    exactly(data.referrals, ['refAY', 'refBY']);
    exactly(data.referralsToY, []); // filter naming agency X
    exactly(data.drafts, []);
    exactly(data.leads, ['leadA', 'leadB']);
    exactly(data.investigations, ['invA', 'invB']);
    expect(data.referralChanges.totalCount).toBe(4);
    expect(new Set(data.referralChanges.nodes.map((c: any) => c.referral.id))).toEqual(new Set([id.refAY, id.refBY]));
  });

  it('the enforcement team sees everything (the filters above are not empty by themselves)', async () => {
    const data = await q(world.keys.analyst, ROOTS, rootVariables());
    expect(data.leads.totalCount).toBe(5);
    expect(data.leadsOfB.totalCount).toBe(3);
    expect(data.investigations.totalCount).toBe(3);
    expect(data.assigned.totalCount).toBe(3);
    expect(data.referrals.totalCount).toBe(5);
    expect(data.referralsToY.totalCount).toBe(2);
    expect(data.drafts.totalCount).toBe(2);
    expect(data.sellersOfB.totalCount).toBe(2);
  });
});

describe("node, nodes and auditTrail with the other tenant's ids", () => {
  const NODE = `query($id: ID!, $ids: [ID!]!) { node(id: $id) { id } nodes(ids: $ids) { id } auditTrail(entityId: $id) { totalCount nodes { action } } }`;
  const TRAIL = `query($id: ID!) { auditTrail(entityId: $id) { totalCount } }`;

  const cases: [string, keyof World['keys'], string[], string[]][] = [
    // caller, hidden records, visible records
    [
      'brand A',
      'brandA',
      [
        'leadB',
        'leadBOnShared',
        'invB',
        'evB',
        'findB',
        'custB',
        'refBY',
        'outBY',
        'refAXdraft',
        'refDXdraft',
        'evA1',
        'evA2',
        'findA',
        'custA',
      ],
      ['leadA', 'leadShared', 'invA', 'refAX', 'refAY', 'outAX'],
    ],
    [
      'brand B',
      'brandB',
      [
        'leadA',
        'leadD',
        'invA',
        'invD',
        'evA1',
        'findA',
        'custA',
        'refAX',
        'refAY',
        'outAX',
        'refAXdraft',
        'refDXdraft',
        'evB',
        'findB',
        'custB',
      ],
      ['leadB', 'leadBOnShared', 'leadShared', 'invB', 'refBY', 'outBY'],
    ],
    [
      'agency X',
      'agencyX',
      [
        'leadB',
        'leadD',
        'leadShared',
        'leadBOnShared',
        'invB',
        'invD',
        'evA2',
        'evA3',
        'evB',
        'evD',
        'findB',
        'custB',
        'custA2',
        'refAY',
        'refBY',
        'outBY',
        'refAXdraft',
        'refDXdraft',
      ],
      ['leadA', 'invA', 'evA1', 'findA', 'custA', 'refAX', 'outAX'],
    ],
    [
      'agency Y',
      'agencyY',
      ['leadD', 'leadShared', 'invD', 'evA1', 'evA3', 'evD', 'custA', 'refAX', 'outAX', 'refAXdraft', 'refDXdraft'],
      ['leadA', 'leadB', 'invA', 'invB', 'evA2', 'evB', 'custA2', 'custB', 'findA', 'findB', 'refAY', 'refBY', 'outBY'],
    ],
  ];

  it.each(cases)(
    '%s: hidden records read as missing everywhere; its own records resolve',
    async (_who, key, hidden, visible) => {
      const token = world.keys[key];
      const ids = [...hidden, ...visible].map((name) => id[name]);
      const many = await q(token, 'query($ids: [ID!]!) { nodes(ids: $ids) { id } }', { ids });
      expect(many.nodes.map((n: any) => n?.id ?? null)).toEqual([
        ...hidden.map(() => null),
        ...visible.map((name) => id[name]),
      ]);
      for (const name of hidden) {
        const one = await q(token, NODE, { id: id[name], ids: [id[name]] });
        expect([name, one]).toEqual([name, { node: null, nodes: [null], auditTrail: null }]);
      }
      for (const name of visible) {
        // A visible record has a trail (custody transfers are recorded on their evidence item, so theirs is empty).
        const trail = await q(token, TRAIL, { id: id[name] });
        expect([
          name,
          trail.auditTrail === null ? null : name.startsWith('cust') || trail.auditTrail.totalCount > 0,
        ]).toEqual([name, true]);
      }
    },
  );

  it('a hidden record reads exactly like an id that does not exist', async () => {
    const missing = Buffer.from('Referral:987654321').toString('base64url');
    const asMissing = await server.gql(world.keys.agencyX, NODE, { id: missing, ids: [missing] });
    const asHidden = await server.gql(world.keys.agencyX, NODE, { id: id.refAY, ids: [id.refAY] });
    // The whole answer but the rate-limit bucket level, which drains between the two requests.
    expect({ data: asHidden.body.data, errors: asHidden.body.errors }).toEqual({
      data: asMissing.body.data,
      errors: asMissing.body.errors,
    });
    expect(asHidden.status).toBe(asMissing.status);
  });
});

describe('nested paths apply the same scope', () => {
  const LEAD = `query($id: ID!) { node(id: $id) { ... on Lead {
    internalNotes reportedBy { id }
    brands { id }
    sellers { id }
    listings { totalCount nodes { id seller { id } } }
    investigation { id internalNotes assignee { id }
      evidence { id storageKey }
      findings { id }
      leads { totalCount nodes { id } }
      referrals { id agency { id } outcomes { id }
        disclosedEvidence { id storageKey custodyTransfers { id } }
        investigation { leads { totalCount nodes { id } } } } }
  } } }`;

  it("lead.brands: a lead naming brands A and B shows each brand only itself; other brands' listings are hidden", async () => {
    const asA = (await q(world.keys.brandA, LEAD, { id: id.leadShared })).node;
    expect(listIds(asA.brands)).toEqual([world.gid.brandA]);
    expect(asA.listings).toEqual({
      totalCount: 1,
      nodes: [{ id: world.gid.listingA2, seller: { id: world.gid.sellerAB } }],
    });
    expect(asA.internalNotes).toBeNull();
    expect(asA.reportedBy).toBeNull();
    const asB = (await q(world.keys.brandB, LEAD, { id: id.leadShared })).node;
    expect(listIds(asB.brands)).toEqual([world.gid.brandB]);
    expect(asB.listings).toEqual({
      totalCount: 1,
      nodes: [{ id: world.gid.listingB2, seller: { id: world.gid.sellerAB } }],
    });
    const asInternal = (await q(world.keys.analyst, LEAD, { id: id.leadShared })).node;
    expect(listIds(asInternal.brands)).toEqual(sorted([world.gid.brandA, world.gid.brandB]));
    expect(asInternal.internalNotes).toBe('both brands, one warehouse');
  });

  it('brand A: lead.investigation shows no internal fields, no evidence or findings, and no drafts among referrals', async () => {
    const lead = (await q(world.keys.brandA, LEAD, { id: id.leadA })).node;
    expect(lead.internalNotes).toBeNull();
    expect(lead.investigation).toMatchObject({
      id: id.invA,
      internalNotes: null,
      assignee: null,
      evidence: [],
      findings: [],
    });
    expect(lead.investigation.leads).toEqual({ totalCount: 1, nodes: [{ id: id.leadA }] });
    expect(listIds(lead.investigation.referrals)).toEqual(named('refAX', 'refAY'));
    for (const r of lead.investigation.referrals) {
      expect(r.disclosedEvidence).toEqual([]);
      expect(r.investigation.leads).toEqual({ totalCount: 1, nodes: [{ id: id.leadA }] });
    }
    expect(lead.investigation.referrals.find((r: any) => r.id === id.refAX).outcomes).toEqual([{ id: id.outAX }]);
  });

  it('agency X: lead.investigation.referrals, investigation.evidence and referral.disclosedEvidence show only what was sent to X', async () => {
    const lead = (await q(world.keys.agencyX, LEAD, { id: id.leadA })).node;
    expect(lead.internalNotes).toBeNull();
    expect(lead.reportedBy).toBeNull();
    expect(lead.investigation).toMatchObject({
      id: id.invA,
      internalNotes: null,
      assignee: null,
      findings: [{ id: id.findA }],
    });
    expect(lead.investigation.evidence).toEqual([{ id: id.evA1, storageKey: expect.stringMatching(/^s3:\/\//) }]);
    expect(lead.investigation.leads).toEqual({ totalCount: 1, nodes: [{ id: id.leadA }] });
    expect(lead.investigation.referrals).toEqual([
      {
        id: id.refAX,
        agency: { id: world.gid.agencyX },
        outcomes: [{ id: id.outAX }],
        disclosedEvidence: [
          { id: id.evA1, storageKey: expect.stringMatching(/^s3:\/\//), custodyTransfers: [{ id: id.custA }] },
        ],
        investigation: { leads: { totalCount: 1, nodes: [{ id: id.leadA }] } },
      },
    ]);
  });

  it('agency Y: the same investigation shows only the referral and evidence sent to Y', async () => {
    const lead = (await q(world.keys.agencyY, LEAD, { id: id.leadA })).node;
    expect(lead.investigation.evidence.map((e: any) => e.id)).toEqual([id.evA2]);
    expect(lead.investigation.referrals.map((r: any) => r.id)).toEqual([id.refAY]);
    expect(lead.investigation.referrals[0].disclosedEvidence).toEqual([
      { id: id.evA2, storageKey: expect.any(String), custodyTransfers: [{ id: id.custA2 }] },
    ]);
    expect(lead.investigation.referrals[0].outcomes).toEqual([]);
  });

  it('seller.leads and brand.leads: brand A sees only leads naming brand A, with matching totals', async () => {
    const data = await q(
      world.keys.brandA,
      `query($seller: ID!, $brand: ID!, $other: ID!) {
      seller: node(id: $seller) { ... on Seller { leads { totalCount nodes { id } } listings { totalCount nodes { id } } } }
      brand: node(id: $brand) { ... on Brand { leads { totalCount nodes { id } } } }
      other: node(id: $other) { id }
      brands { nodes { id leads { totalCount } } }
    }`,
      { seller: world.gid.sellerAB, brand: world.gid.brandA, other: world.gid.brandB },
    );
    exactly(data.seller.leads, ['leadShared']);
    expect(data.seller.listings).toEqual({ totalCount: 1, nodes: [{ id: world.gid.listingA2 }] });
    exactly(data.brand.leads, ['leadA', 'leadD', 'leadShared']);
    expect(data.other).toBeNull();
    expect(data.brands.nodes).toEqual([{ id: world.gid.brandA, leads: { totalCount: 3 } }]);
    // The same seller seen by brand B and by the team.
    const asB = await q(
      world.keys.brandB,
      `query($id: ID!) { node(id: $id) { ... on Seller { leads { totalCount nodes { id } } } } }`,
      { id: world.gid.sellerAB },
    );
    exactly(asB.node.leads, ['leadBOnShared', 'leadShared']);
  });

  it('agency X: seller.leads, brand.leads and listing.seller reach only the case behind its referral', async () => {
    const data = await q(
      world.keys.agencyX,
      `query($seller: ID!, $brand: ID!, $shared: ID!) {
      seller: node(id: $seller) { ... on Seller { leads { totalCount nodes { id } } } }
      brand: node(id: $brand) { ... on Brand { leads { totalCount nodes { id } } } }
      shared: node(id: $shared) { id }
      brands { nodes { id } }
      listings { totalCount nodes { id seller { id } } }
    }`,
      { seller: world.gid.sellerA, brand: world.gid.brandA, shared: world.gid.sellerAB },
    );
    exactly(data.seller.leads, ['leadA']);
    exactly(data.brand.leads, ['leadA']);
    expect(data.shared).toBeNull();
    expect(data.brands.nodes).toEqual([{ id: world.gid.brandA }]);
    expect(data.listings).toEqual({ totalCount: 0, nodes: [] });
  });

  it('referral.investigation.leads and evidence.investigation from the agency side', async () => {
    const data = await q(
      world.keys.agencyY,
      `query($ref: ID!, $ev: ID!) {
      ref: node(id: $ref) { ... on Referral { investigation { id leads { totalCount nodes { id brands { id } } } } } }
      ev: node(id: $ev) { ... on Evidence { investigation { id } custodyTransfers { id } } }
    }`,
      { ref: id.refBY, ev: id.evB },
    );
    expect(data.ref.investigation).toEqual({
      id: id.invB,
      leads: { totalCount: 1, nodes: [{ id: id.leadB, brands: [{ id: world.gid.brandB }] }] },
    });
    expect(data.ev).toEqual({ investigation: { id: id.invB }, custodyTransfers: [{ id: id.custB }] });
  });

  it('listing.seller: a brand sees the seller of its own listings only', async () => {
    const data = await q(world.keys.brandA, `{ listings { totalCount nodes { id seller { id } } } }`);
    expect(data.listings.totalCount).toBe(2);
    expect(sorted(data.listings.nodes.map((l: any) => `${l.id}>${l.seller.id}`))).toEqual(
      sorted([`${world.gid.listingA1}>${world.gid.sellerA}`, `${world.gid.listingA2}>${world.gid.sellerAB}`]),
    );
  });
});

describe('internal fields', () => {
  const TRAIL = `query($id: ID!) { auditTrail(entityId: $id, first: 50) { totalCount nodes { action entityId actorLabel before after } } }`;

  it.each([
    ['brand A', 'leadA', 'brandA'],
    ['agency X', 'refAX', 'agencyX'],
    ['agency X', 'evA1', 'agencyX'],
    ['brand B', 'leadShared', 'brandB'],
  ] as const)('%s reads the audit trail of %s without actor, before or after', async (_who, record, key) => {
    const trail = (await q(world.keys[key], TRAIL, { id: id[record] })).auditTrail;
    expect(trail.totalCount).toBeGreaterThan(0);
    for (const event of trail.nodes)
      expect(event).toMatchObject({ entityId: id[record], actorLabel: null, before: null, after: null });
    const internal = (await q(world.keys.investigator, TRAIL, { id: id[record] })).auditTrail;
    expect(internal.nodes.map((e: any) => e.action)).toEqual(trail.nodes.map((e: any) => e.action));
    expect(internal.nodes[0].actorLabel).toEqual(expect.any(String));
  });

  it('investigation.assignee and internalNotes are null for partners and agencies, set for the team', async () => {
    const QUERY = `query($id: ID!) { node(id: $id) { ... on Investigation { assignee { id } internalNotes } } }`;
    for (const key of ['brandA', 'agencyX', 'agencyY'] as const) {
      expect([key, (await q(world.keys[key], QUERY, { id: id.invA })).node]).toEqual([
        key,
        { assignee: null, internalNotes: null },
      ]);
    }
    expect((await q(world.keys.analyst, QUERY, { id: id.invA })).node).toEqual({
      assignee: { id: investigatorPrincipalId },
      internalNotes: 'internal only',
    });
  });

  it('analysts see evidence storage keys masked on every path; investigators and the agency see them', async () => {
    const QUERY = `query($ev: ID!, $inv: ID!, $ref: ID!) {
      ev: node(id: $ev) { ... on Evidence { storageKey } }
      inv: node(id: $inv) { ... on Investigation { evidence { id storageKey } } }
      ref: node(id: $ref) { ... on Referral { disclosedEvidence { storageKey } } }
    }`;
    const variables = { ev: id.evA1, inv: id.invA, ref: id.refAX };
    const asAnalyst = await q(world.keys.analyst, QUERY, variables);
    expect(asAnalyst.ev.storageKey).toBe('(masked)');
    expect(asAnalyst.inv.evidence).toHaveLength(3);
    for (const e of asAnalyst.inv.evidence) expect(e.storageKey).toBe('(masked)');
    expect(asAnalyst.ref.disclosedEvidence).toEqual([{ storageKey: '(masked)' }]);
    const asInvestigator = await q(world.keys.investigator, QUERY, variables);
    expect(asInvestigator.ev.storageKey).toMatch(/^s3:\/\/evidence\//);
    const asAgency = await q(world.keys.agencyX, QUERY, variables);
    expect(asAgency.ev.storageKey).toBe(asInvestigator.ev.storageKey);
  });

  it('analysts do not read the storage key through the audit trail either', async () => {
    const trail = (await q(world.keys.analyst, TRAIL, { id: id.evA1 })).auditTrail;
    const added = trail.nodes.find((e: any) => e.action === 'evidence.added');
    expect(added).toBeDefined();
    expect(JSON.stringify(trail.nodes)).not.toContain('s3://evidence/');
  });
});
