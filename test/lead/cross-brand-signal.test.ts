// Cross-brand signal without disclosure: `otherBrandCaseCount` on leads and sellers,
// the one intentional cross-tenant figure: how many other brands have cases against the same seller or its
// network (sellers sharing an identifier), a count only, never which brands.
import { createDataSource } from '../../src/database/data-source';
import { StatementCounter } from '../../src/database/statement-counter';
import { toGlobalId } from '../../src/shared/relay/global-id';
import { buildCase, mutate } from '../support/cases';
import { dataOf } from '../support/server';
import { useTestServer } from '../support/harness';

const { db, world, server } = useTestServer();
let leadA: string; // brand A on seller A
let leadB: string; // brand B on seller B (seller B shares a phone with seller A: one network)
let leadAB: string; // the investigator's lead naming both brands, on the seller of both
let brandC: string;

const rowId = (gid: string) => Buffer.from(gid, 'base64url').toString('utf8').split(':')[1];

beforeAll(async () => {
  const [{ id }] = await db.dataSource.query(
    `INSERT INTO brand (name, slug, status) VALUES ('Gamma', 'gamma', 'ACTIVE') RETURNING id::text`,
  );
  brandC = toGlobalId('Brand', id);
  leadA = (await buildCase(server, world, { brand: 'A', referTo: world.gid.agencyX, tag: 'signal A' })).leadId;
  ({
    lead: { id: leadB },
  } = await mutate(
    server,
    world.keys.brandB,
    'reportLead',
    { description: 'Beta fakes', sellerIds: [world.gid.sellerB] },
    'lead { id }',
  ));
  ({
    lead: { id: leadAB },
  } = await mutate(
    server,
    world.keys.investigator,
    'reportLead',
    {
      description: 'Both brands',
      brandIds: [world.gid.brandA, world.gid.brandB],
      sellerIds: [world.gid.sellerAB],
      source: 'PLATFORM_DETECTION',
    },
    'lead { id }',
  ));
});

const COUNT = `query($ids: [ID!]!) { nodes(ids: $ids) { ... on Lead { otherBrandCaseCount brands { id } } ... on Seller { otherBrandCaseCount } } }`;
const counts = async (token: string, ids: string[]) =>
  dataOf(await server.gql(token, COUNT, { ids })).nodes.map((n: any) => n?.otherBrandCaseCount ?? null);

describe('otherBrandCaseCount', () => {
  it('tells a brand partner how many other brands have cases on the seller or its network, never which', async () => {
    // Brand A: seller A's network holds seller B, on which brand B has a case.
    expect(await counts(world.keys.brandA, [leadA, world.gid.sellerA, leadAB, world.gid.sellerAB])).toEqual([
      1, 1, 1, 1,
    ]);
    const response = await server.gql(world.keys.brandA, COUNT, { ids: [leadA, leadAB] });
    expect(JSON.stringify(response.body)).not.toContain(world.gid.brandB);
    expect(response.body.data!.nodes.map((n: any) => n.brands)).toEqual([
      [{ id: world.gid.brandA }],
      [{ id: world.gid.brandA }],
    ]);
    expect(await counts(world.keys.brandB, [leadB, world.gid.sellerB])).toEqual([1, 1]);
  });

  it('counts, for internal roles and agencies, the brands a lead does not name, and all brands on a seller', async () => {
    expect(
      await counts(world.keys.investigator, [leadA, leadB, leadAB, world.gid.sellerA, world.gid.sellerAB]),
    ).toEqual([1, 1, 0, 2, 2]);
    expect(await counts(world.keys.agencyX, [leadA, world.gid.sellerA])).toEqual([1, 2]);
  });

  it('grows with every further brand, and ignores reports closed as not counterfeit', async () => {
    const { lead } = await mutate(
      server,
      world.keys.investigator,
      'reportLead',
      { description: 'Gamma fakes', brandIds: [brandC], sellerIds: [world.gid.sellerA], source: 'TIP' },
      'lead { id }',
    );
    expect(await counts(world.keys.brandA, [leadA])).toEqual([2]);
    expect(await counts(world.keys.brandB, [leadB])).toEqual([2]);
    await mutate(
      server,
      world.keys.investigator,
      'closeLead',
      { leadId: lead.id, reason: 'NOT_COUNTERFEIT' },
      'lead { id }',
    );
    expect(await counts(world.keys.brandA, [leadA])).toEqual([1]);
  });

  it('answers nothing for records out of scope, through the API and in the database function itself', async () => {
    expect(await counts(world.keys.brandA, [leadB, world.gid.sellerB])).toEqual([null, null]);
    expect(await counts(world.keys.agencyY, [leadA, world.gid.sellerA])).toEqual([null, null]);
    const app = await createDataSource({ url: db.apiUrl, api: true, poolSize: 1 }).initialize();
    try {
      const rows = await app.transaction(async (m) => {
        await m.query(`SELECT set_config('eca.scope', 'BRAND', true), set_config('eca.brand_id', $1, true)`, [
          world.ids.brandA,
        ]);
        return m.query(`SELECT id::text, brands FROM eca_other_brand_case_counts('lead', $1::bigint[], $2, false)`, [
          [rowId(leadA), rowId(leadB)],
          world.ids.brandA,
        ]);
      });
      expect(rows).toEqual([{ id: rowId(leadA), brands: 1 }]);
    } finally {
      await app.destroy();
    }
  });

  it('costs one statement per list, whatever its length', async () => {
    for (let i = 0; i < 6; i += 1)
      await mutate(
        server,
        world.keys.brandA,
        'reportLead',
        { description: `more ${i}`, sellerIds: [world.gid.sellerAB] },
        'lead { id }',
      );
    const counter = () => (server.dataSource.logger as StatementCounter).statements;
    const LIST = `query($first: Int) { leads(first: $first) { nodes { otherBrandCaseCount sellers { otherBrandCaseCount } } } }`;
    const statements = async (first: number) => {
      const before = counter();
      dataOf(await server.gql(world.keys.brandA, LIST, { first }));
      return counter() - before;
    };
    expect(await statements(2)).toBe(await statements(9));
  });
});
