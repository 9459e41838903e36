// Row-level security in one place: the live policies of a migrated database are exactly those of
// src/shared/data-access/policies.sql.ts, and every table of tenant data the API's role can read has row-level
// security enabled and forced, or is on the short list below with its reason.
import { Client } from 'pg';
import { applyPolicies, POLICIES } from '../../src/shared/data-access/policies.sql';
import { useTestServer } from '../support/harness';

/**
 * Tables the API's role (eca_app) may read without row-level security, each with its reason. Anything else it
 * can read must have row-level security enabled and forced. A new table of tenant data gets its policy in
 * policies.sql.ts; it goes here only if it holds no tenant data, or (a gap, say so) until it gets one.
 */
const WITHOUT_RLS: Record<string, string> = {
  agency: 'reference data: agencies are public bodies, every caller may list them (visibility.ts)',
  migrations: 'schema history: no tenant data (/readyz reads it)',
  analytics_rollup: 'when each analytics rollup was refreshed: no tenant data',
  // Link tables: ids only. Every policy and every rule of visibility.ts joins them, so a policy of their own
  // would run inside each of those subqueries; their rows reach a caller only through the records they link.
  lead_brand:
    'link table (ids only), read inside the policies and rules of lead, seller, brand, investigation and referral',
  lead_seller: 'link table (ids only), read inside the policies and rules of seller and listing',
  lead_listing: 'link table (ids only), read inside the policies and rules of listing',
  referral_evidence: 'link table (ids only), read inside the policies and rules of evidence and custody_transfer',
  // GAP: internal rollups of the seller-network analytics (src/modules/analytics/seller-network.service.ts),
  // read only for internal callers or joined to the tenant's own rows of network_offence / scoped_seller_offence.
  seller_network: 'GAP: internal rollup (sellers linked by shared identifiers), read through scoped rollups only',
  seller_offence: 'GAP: internal rollup (offences per seller), read for internal callers only',
  // GAP: the audit trail (values of every record). Its reads are scoped by the record each event is about
  // (src/modules/audit/); the API's role may only append to it.
  audit_event: 'GAP: audit trail, scoped through the record each event is about (src/modules/audit)',
  audit_tree_node: "audit log's Merkle tree: hashes only, the proofs every caller may read",
  audit_checkpoint: 'signed roots of the audit log: hashes only, every caller may read them',
  audit_unsigned_prefix: 'position of the audit log not yet signed: no tenant data',
};

const { db, world, server } = useTestServer({
  world: false,
  server: false,
  beforeClose: async () => {
    await owner?.end();
  },
});
let owner: Client;

/** Policies and row-level security flags of every table, as PostgreSQL shows them. */
async function livePolicies(client: Client) {
  const { rows: policies } = await client.query(`
    SELECT tablename, policyname, permissive, cmd, roles::text[] AS roles, qual, with_check
    FROM pg_policies WHERE schemaname = current_schema() ORDER BY tablename, policyname`);
  const { rows: tables } = await client.query(`
    SELECT relname AS table, relrowsecurity AS enabled, relforcerowsecurity AS forced
    FROM pg_class WHERE relnamespace = to_regnamespace(current_schema()) AND relkind IN ('r', 'p') AND (relrowsecurity OR relforcerowsecurity)
    ORDER BY relname`);
  return { policies, tables };
}

beforeAll(async () => {
  owner = new Client({ connectionString: db.url });
  await owner.connect();
});

describe('the live policies are those of policies.sql.ts', () => {
  it('pg_policies, relrowsecurity and relforcerowsecurity equal what the file creates (applied again, rolled back)', async () => {
    const live = await livePolicies(owner);
    await owner.query('BEGIN');
    try {
      await applyPolicies({
        query: async (sql: string, parameters?: unknown[]) => (await owner.query(sql, parameters)).rows,
      });
      const fromFile = await livePolicies(owner);
      // PostgreSQL deparses both the same way: any policy changed outside the file differs here.
      expect(live).toEqual(fromFile);
    } finally {
      await owner.query('ROLLBACK');
    }
    // No table has policies or row-level security that the file does not declare.
    expect(live.tables.map((t) => t.table).sort()).toEqual(Object.keys(POLICIES).sort());
    expect(live.tables.filter((t) => !t.enabled || !t.forced)).toEqual([]);
    expect([...new Set(live.policies.map((p) => p.tablename))].sort()).toEqual(Object.keys(POLICIES).sort());
  });
});

describe('tenant data the API may read has row-level security', () => {
  it('every table eca_app can read has it enabled and forced, or is on the list of tables without it (with its reason)', async () => {
    const { rows } = await owner.query(`
      SELECT c.relname AS table, c.relrowsecurity AS enabled, c.relforcerowsecurity AS forced
      FROM pg_class c
      WHERE c.relnamespace = to_regnamespace(current_schema()) AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
        AND (has_table_privilege('eca_app', c.oid, 'SELECT') OR has_any_column_privilege('eca_app', c.oid, 'SELECT'))
      ORDER BY 1`);
    const unprotected = rows.filter((r) => !(r.enabled && r.forced) && !(r.table in WITHOUT_RLS)).map((r) => r.table);
    expect({ readableWithoutRowLevelSecurity: unprotected }).toEqual({ readableWithoutRowLevelSecurity: [] });
    // The list holds only tables that exist, are readable, and lack row-level security.
    const listed = rows.filter((r) => r.table in WITHOUT_RLS);
    expect(listed.map((r) => r.table).sort()).toEqual(Object.keys(WITHOUT_RLS).sort());
    expect(listed.filter((r) => r.enabled)).toEqual([]);
  });

  it('the API may not change principals, and of API keys only revoked_at (least privilege)', async () => {
    const privilege = async (table: string, what: string) =>
      (await owner.query(`SELECT has_table_privilege('eca_app', $1, $2) AS yes`, [table, what])).rows[0].yes;
    expect(await privilege('principal', 'UPDATE')).toBe(false);
    expect(await privilege('principal', 'DELETE')).toBe(false);
    expect(await privilege('api_key', 'UPDATE')).toBe(false);
    expect(await privilege('api_key', 'DELETE')).toBe(false);
    const { rows } = await owner.query(`
      SELECT attname FROM pg_attribute WHERE attrelid = 'api_key'::regclass AND attnum > 0 AND NOT attisdropped
        AND has_column_privilege('eca_app', 'api_key'::regclass, attnum, 'UPDATE')`);
    expect(rows.map((r) => r.attname)).toEqual(['revoked_at']);
  });

  it("as the API's login, only an administrator's scope creates principals and keys and revokes keys; others read their own", async () => {
    const {
      rows: [admin],
    } = await owner.query(`INSERT INTO principal (name, role) VALUES ('Policy admin', 'ADMIN') RETURNING id::text`);
    const {
      rows: [investigator],
    } = await owner.query(
      `INSERT INTO principal (name, role) VALUES ('Policy investigator', 'INVESTIGATOR') RETURNING id::text`,
    );
    const {
      rows: [key],
    } = await owner.query(
      `INSERT INTO api_key (principal_id, name, token_prefix, token_hash) VALUES ($1, 'k', 'eca_pol', 'policy-test-hash') RETURNING id::text`,
      [admin.id],
    );
    const api = new Client({ connectionString: db.apiUrl });
    await api.connect();
    const as = async (principal: string, sql: string, parameters: unknown[] = []) => {
      await api.query(
        `BEGIN; SELECT set_config('eca.scope', 'ALL', true), set_config('eca.principal_id', '${principal}', true)`,
      );
      try {
        return await api.query(sql, parameters);
      } finally {
        await api.query('ROLLBACK');
      }
    };
    try {
      // Authentication reads a key by its hash before a scope exists.
      expect(
        (await api.query(`SELECT principal_id::text FROM api_key WHERE token_hash = 'policy-test-hash'`)).rows,
      ).toEqual([{ principal_id: admin.id }]);
      await expect(as(investigator.id, `INSERT INTO principal (name, role) VALUES ('x', 'ANALYST')`)).rejects.toThrow(
        /row-level security/,
      );
      await expect(
        as(
          investigator.id,
          `INSERT INTO api_key (principal_id, name, token_prefix, token_hash) VALUES ($1, 'x', 'x', 'x')`,
          [investigator.id],
        ),
      ).rejects.toThrow(/row-level security/);
      expect(
        (await as(investigator.id, `UPDATE api_key SET revoked_at = now() WHERE id = $1`, [key.id])).rowCount,
      ).toBe(0);
      expect((await as(investigator.id, `SELECT id FROM api_key WHERE id = $1`, [key.id])).rows).toEqual([]);
      expect((await as(admin.id, `UPDATE api_key SET revoked_at = now() WHERE id = $1`, [key.id])).rowCount).toBe(1);
      expect((await as(admin.id, `INSERT INTO principal (name, role) VALUES ('x', 'ANALYST')`)).rowCount).toBe(1);
      await expect(as(admin.id, `UPDATE api_key SET name = 'renamed' WHERE id = $1`, [key.id])).rejects.toThrow(
        /permission denied/,
      );
    } finally {
      await api.end();
    }
    // Nothing of the above was kept (each ran in a rolled-back transaction).
    expect((await owner.query(`SELECT revoked_at FROM api_key WHERE id = $1`, [key.id])).rows).toEqual([
      { revoked_at: null },
    ]);
    expect((await owner.query(`SELECT count(*)::int AS n FROM principal WHERE name = 'x'`)).rows).toEqual([{ n: 0 }]);
  });
});
