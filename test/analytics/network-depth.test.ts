// `NetworkMember.depth` is the hop count from the start seller (the fewest links
// followed), not the number of identifiers a member shares with it, which the description said. Compared
// with a breadth-first search written here in SQL over seller_identifier through the owner connection.
import { dataOf } from '../support/server';
import { toGlobalId } from '../../src/shared/relay/global-id';
import { useTestServer } from '../support/harness';

const { db, world, server } = useTestServer({
  beforeServer: async () => {
    for (const name of ['start', 'near3', 'near2', 'far', 'farther']) {
      const [row] = await db.dataSource.query(
        `INSERT INTO seller (platform, external_id, display_name, region, status, strike_count) VALUES ('TAOBAO', $1, $1, 'CN-ZJ', 'ACTIVE', 0) RETURNING id`,
        [`depth-${name}`],
      );
      ids[name] = String(row.id);
    }
    const share = async (kind: string, value: number, ...names: string[]) => {
      for (const name of names)
        await db.dataSource.query('INSERT INTO seller_identifier (seller_id, kind, value_hash) VALUES ($1, $2, $3)', [
          ids[name],
          kind,
          hash(value),
        ]);
    };
    await share('PHONE', 1, 'start', 'near3');
    await share('EMAIL', 2, 'start', 'near3');
    await share('DEVICE', 3, 'start', 'near3');
    await share('PAYMENT_ACCOUNT', 4, 'start', 'near2');
    await share('ADDRESS', 5, 'start', 'near2');
    await share('BANK_ACCOUNT', 6, 'near3', 'far');
    await share('BUSINESS_LICENSE', 7, 'far', 'farther');
  },
});
const ids: Record<string, string> = {};
const hash = (n: number) => n.toString(16).padStart(64, 'c');

/**
 * start - three identifiers - near3; start - two - near2; near3 - one - far; far - one - farther.
 * Depths 1, 1, 2, 3; identifiers shared with the start seller 3, 2, 0, 0.
 */

describe('sellerNetwork members', () => {
  it('carry the hop count from the start seller as depth, as a breadth-first search in SQL finds it', async () => {
    const network = dataOf(
      await server.gql(
        world.keys.investigator,
        `query($id: ID!) { sellerNetwork(sellerId: $id, maxDepth: 4) {
      members { seller { id } depth } } }`,
        { id: toGlobalId('Seller', ids.start) },
      ),
    ).sellerNetwork;
    const name = (gid: string) => Object.keys(ids).find((key) => toGlobalId('Seller', ids[key]) === gid);
    const answer = Object.fromEntries(
      network.members.map((m: { seller: { id: string }; depth: number }) => [name(m.seller.id), m.depth]),
    );
    expect(answer).toEqual({ start: 0, near3: 1, near2: 1, far: 2, farther: 3 });

    const rows: { id: string; hops: number; shared: number }[] = await db.dataSource.query(
      `
      WITH RECURSIVE search(seller_id, hops) AS (
        SELECT $1::bigint, 0
        UNION
        SELECT b.seller_id, s.hops + 1 FROM search s
        JOIN seller_identifier a ON a.seller_id = s.seller_id
        JOIN seller_identifier b ON b.kind = a.kind AND b.value_hash = a.value_hash AND b.seller_id <> a.seller_id
        WHERE s.hops < 4
      )
      SELECT s.seller_id::text AS id, min(s.hops)::int AS hops,
             (SELECT count(*)::int FROM seller_identifier a JOIN seller_identifier b ON b.kind = a.kind AND b.value_hash = a.value_hash
              WHERE a.seller_id = $1 AND b.seller_id = s.seller_id AND s.seller_id <> $1) AS shared
      FROM search s GROUP BY s.seller_id`,
      [ids.start],
    );
    const byName: Record<string, { hops: number; shared: number }> = Object.fromEntries(
      rows.map((row) => [Object.keys(ids).find((key) => ids[key] === row.id), row]),
    );
    expect(answer).toEqual(Object.fromEntries(Object.entries(byName).map(([key, row]) => [key, row.hops])));
    // What the old description promised is another number: near3 shares three identifiers with the start seller, at depth 1.
    expect({ shared: byName.near3.shared, depth: answer.near3 }).toEqual({ shared: 3, depth: 1 });
  });

  it('describe depth as the hop count in the schema', async () => {
    const type = dataOf(
      await server.gql(world.keys.investigator, '{ __type(name: "NetworkMember") { fields { name description } } }'),
    ).__type;
    const depth = type.fields.find((field: { name: string }) => field.name === 'depth');
    expect(depth.description).toMatch(/^Hops from the start seller/);
    expect(depth.description).not.toMatch(/^Shared identifiers/);
  });
});
