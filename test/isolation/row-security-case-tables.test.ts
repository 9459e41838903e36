import { Lead } from '../../src/modules/lead/lead.entity';
import { Listing } from '../../src/modules/listing/listing.entity';
import { Referral } from '../../src/modules/referral/referral.entity';
import { createDataSource } from '../../src/database/data-source';
import { buildCase } from '../support/cases';
import { DataSource } from 'typeorm';
import { useTestServer } from '../support/harness';

const { db, world, server } = useTestServer({
  beforeClose: async () => {
    await app.destroy();
  },
});
let app: DataSource;

beforeAll(async () => {
  await buildCase(server, world, { referTo: world.gid.agencyX, brand: 'A' });
  await buildCase(server, world, { referTo: world.gid.agencyY, brand: 'B' });
  app = await createDataSource({ url: db.apiUrl, api: true, poolSize: 2 }).initialize();
});

/** Runs `work` the way a request does: one transaction, the caller's scope in transaction-local settings. */
async function asCaller<T>(
  scope: string,
  brandId: string,
  agencyId: string,
  work: (db: DataSource['manager']) => Promise<T>,
): Promise<T> {
  return app.transaction(async (manager) => {
    await manager.query(
      `SELECT set_config('eca.scope', $1, true), set_config('eca.brand_id', $2, true), set_config('eca.agency_id', $3, true)`,
      [scope, brandId, agencyId],
    );
    return work(manager);
  });
}

describe('row-level security in PostgreSQL (defence in depth)', () => {
  it("hides another brand's rows from a deliberately unscoped repository call in a brand partner's request", async () => {
    const unscoped = await asCaller('BRAND', world.ids.brandA, '', async (manager) => ({
      listings: await manager.getRepository(Listing).find(),
      leads: await manager.getRepository(Lead).find(),
      referrals: await manager.getRepository(Referral).find(),
      brands: await manager.query('SELECT name FROM brand'),
      sellers: await manager.query('SELECT display_name FROM seller ORDER BY 1'),
      identifiers: await manager.query('SELECT count(*)::int AS n FROM seller_identifier'),
    }));
    expect(unscoped.listings.map((l) => l.brandId).every((id) => id === world.ids.brandA)).toBe(true);
    expect(unscoped.listings).toHaveLength(2);
    expect(unscoped.leads).toHaveLength(1);
    expect(unscoped.referrals).toHaveLength(1);
    expect(unscoped.brands).toEqual([{ name: 'Alpha' }]);
    expect(unscoped.sellers.map((s: any) => s.display_name)).toEqual(['Seller of Alpha', 'Seller of both']);
    expect(unscoped.identifiers).toEqual([{ n: 0 }]);
  });

  it("hides other agencies' referrals, and drafts, from an agency liaison's unscoped reads", async () => {
    const rows = await asCaller('AGENCY', '', world.ids.agencyX, (manager) =>
      manager.query('SELECT agency_id::text, status FROM referral'),
    );
    expect(rows).toEqual([{ agency_id: world.ids.agencyX, status: 'SENT' }]);
  });

  it('shows nothing at all to a connection of the API role that set no scope', async () => {
    const counts = await app.query(
      `SELECT (SELECT count(*) FROM lead)::int AS leads, (SELECT count(*) FROM listing)::int AS listings, (SELECT count(*) FROM brand)::int AS brands`,
    );
    expect(counts).toEqual([{ leads: 0, listings: 0, brands: 0 }]);
  });

  it('keeps a scope inside its transaction: the next use of the pooled connection has none', async () => {
    await asCaller('ALL', '', '', async (manager) =>
      expect((await manager.query('SELECT count(*)::int AS n FROM lead'))[0].n).toBeGreaterThan(0),
    );
    const after = await app.query(
      `SELECT current_setting('eca.scope', true) AS scope, (SELECT count(*) FROM lead)::int AS leads`,
    );
    expect(after).toEqual([{ scope: '', leads: 0 }]);
  });

  it("ends a read whose one statement carries its COMMIT outside any transaction: the server's pooled connections keep no scope", async () => {
    const { data } = (await server.gql(world.keys.brandA, '{ leads(first: 5) { nodes { id reference } } }'))
      .body as any;
    expect(data.leads.nodes).toHaveLength(1);
    const lookup = (
      await server.gql(world.keys.brandA, 'query($id: ID!) { node(id: $id) { id ... on Lead { reference } } }', {
        id: data.leads.nodes[0].id,
      })
    ).body as any;
    expect(lookup.errors).toBeUndefined();
    expect(lookup.data.node.reference).toBe(data.leads.nodes[0].reference);
    // What the owner sees of the server's backends: none left in a transaction once the answers are sent.
    const backends = await db.dataSource.query(
      `SELECT state FROM pg_stat_activity WHERE application_name = 'eca-test-server' AND datname = current_database()`,
    );
    expect(backends.length).toBeGreaterThan(0);
    expect(backends.filter((b: { state: string }) => b.state !== 'idle')).toEqual([]);
    // Every connection of the server's pool, used bare: no scope, nothing visible.
    const runners = await Promise.all(
      Array.from({ length: 10 }, async () => {
        const runner = server.dataSource.createQueryRunner();
        await runner.connect();
        return runner;
      }),
    );
    try {
      for (const runner of runners) {
        // '' on a connection a request used (the setting ended with its transaction), NULL on one never used.
        expect(
          await runner.query(
            `SELECT coalesce(current_setting('eca.scope', true), '') AS scope, (SELECT count(*) FROM lead)::int AS leads`,
          ),
        ).toEqual([{ scope: '', leads: 0 }]);
      }
    } finally {
      await Promise.all(runners.map((runner) => runner.release()));
    }
  });

  it('does not let the API role rewrite or erase the audit trail', async () => {
    await expect(app.query(`UPDATE audit_event SET action = 'x'`)).rejects.toThrow(/permission denied/);
    await expect(app.query(`DELETE FROM audit_event`)).rejects.toThrow(/permission denied/);
    await expect(
      app.query(`SELECT rolbypassrls, rolsuper FROM pg_roles WHERE rolname = current_user`),
    ).resolves.toEqual([{ rolbypassrls: false, rolsuper: false }]);
  });
});
