import { mutate } from '../support/cases';
import { dataOf } from '../support/server';
import { useTestServer } from '../support/harness';

// A brand partner's case list by date reads the brand's own index (lead_brand_recent_idx, whose rows copy
// their lead's created_at) instead of scopedQuery's predicate: it must page exactly like the general path.
const { db, world, server } = useTestServer();

beforeAll(async () => {
  for (let i = 0; i < 9; i += 1) {
    await mutate(
      server,
      world.keys.brandA,
      'reportLead',
      { description: `alpha ${i}`, sellerIds: [world.gid.sellerA] },
      'lead { id }',
    );
    await mutate(
      server,
      world.keys.brandB,
      'reportLead',
      { description: `beta ${i}`, sellerIds: [world.gid.sellerB] },
      'lead { id }',
    );
  }
  // Both brands named by one lead (the investigators' report), and ties on created_at (a correction by hand:
  // the copies in lead_brand must follow it) so that the id breaks them.
  await mutate(
    server,
    world.keys.investigator,
    'reportLead',
    { description: 'both', brandIds: [world.gid.brandA, world.gid.brandB], source: 'TIP' },
    'lead { id }',
  );
  await db.dataSource.query(
    `UPDATE lead SET created_at = '2026-02-01T00:00:00Z' WHERE description IN ('alpha 2', 'alpha 3', 'alpha 4', 'beta 2')`,
  );
});

const LEADS = `query($first: Int, $after: String, $filter: LeadFilter) {
  leads(first: $first, after: $after, filter: $filter) { totalCount nodes { description } pageInfo { hasNextPage endCursor } } }`;

async function pageThrough(
  token: string,
  filter?: Record<string, unknown>,
): Promise<{ seen: string[]; totalCount: number }> {
  const seen: string[] = [];
  let after: string | null = null;
  let totalCount = 0;
  for (;;) {
    const { leads }: any = dataOf(await server.gql(token, LEADS, { first: 2, after, filter }));
    totalCount = leads.totalCount;
    seen.push(...leads.nodes.map((n: { description: string }) => n.description));
    if (!leads.pageInfo.hasNextPage) return { seen, totalCount };
    after = leads.pageInfo.endCursor;
  }
}

async function expected(brandId: string, extra = ''): Promise<string[]> {
  const rows: { description: string }[] = await db.dataSource.query(
    `SELECT l.description FROM lead l JOIN lead_brand lb ON lb.lead_id = l.id WHERE lb.brand_id = $1 ${extra} ORDER BY l.created_at DESC, l.id DESC`,
    [brandId],
  );
  return rows.map((r) => r.description);
}

describe("a brand partner's case list by date", () => {
  it('pages through every lead of the brand, newest first, ties broken by id, none of another brand', async () => {
    const { seen, totalCount } = await pageThrough(world.keys.brandA);
    expect(seen).toEqual(await expected(world.ids.brandA));
    expect(seen).toHaveLength(10);
    expect(totalCount).toBe(10);
    expect(seen.filter((d) => d.startsWith('beta'))).toEqual([]);
  });

  it('gives the same order as an internal caller filtering on the brand (the general path)', async () => {
    const { seen } = await pageThrough(world.keys.brandB);
    const internal = await pageThrough(world.keys.analyst, { brandIds: [world.gid.brandB] });
    expect(seen).toEqual(internal.seen);
    expect(seen).toEqual(await expected(world.ids.brandB));
  });

  it('applies filters on the way', async () => {
    const { seen } = await pageThrough(world.keys.brandA, { createdAt: { to: '2026-06-01T00:00:00Z' } });
    expect(seen).toEqual(await expected(world.ids.brandA, `AND l.created_at < '2026-06-01'`));
    expect(seen).toHaveLength(3);
  });

  it("keeps the copied created_at equal to the lead's", async () => {
    const [{ stale }] = await db.dataSource.query(
      `SELECT count(*)::int AS stale FROM lead_brand lb JOIN lead l ON l.id = lb.lead_id WHERE lb.lead_created_at <> l.created_at`,
    );
    expect(stale).toBe(0);
  });
});
