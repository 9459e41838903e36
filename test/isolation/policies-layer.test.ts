// Tenant isolation, the policies' layer by itself: every table of the isolation dataset read with
// raw statements as the API's login (eca_api, a member of eca_app), with each scoped caller's settings and no
// predicate of visibility.ts, holds exactly the rows the oracle (oracle.ts) says the caller may see. The
// other layer, visibility.ts by itself with the policies bypassed, is the generated walk
// (generated-isolation.test.ts); the two together are what the API runs.
import { Client } from 'pg';
import { toGlobalId } from '../../src/shared/relay/global-id';
import { buildDataset } from './dataset';
import { CALLERS, callerScope, CallerScope, Inventory, readInventory } from './oracle';
import { useTestServer } from '../support/harness';

/** Entity tables without row-level security, with why (test/isolation/policies-catalogue.test.ts lists every such table). */
const NOT_CHECKED: Record<string, string> = {
  Agency: 'public reference data: every caller sees every agency (the oracle agrees)',
  AuditEvent: 'no row-level security yet: scoped through the record each event is about (src/modules/audit)',
};

const { db, world, server } = useTestServer({
  beforeClose: async () => {
    await api?.end();
  },
});
let inventory: Inventory;
let api: Client;
const scopes = new Map<string, CallerScope>();

beforeAll(async () => {
  await buildDataset(server, world, db.dataSource);
  inventory = await readInventory(db.dataSource);
  for (const name of CALLERS) scopes.set(name, await callerScope(db.dataSource, name, world.keys[name], world.ids));
  api = new Client({ connectionString: db.apiUrl });
  await api.connect();
}, 180_000);

/** The global ids of every row of `table` that the API's login reads with the caller's scope settings. */
async function readAsCaller(scope: CallerScope, typeName: string, table: string): Promise<string[]> {
  const pk = db.dataSource.getMetadata(table).primaryColumns[0].databaseName;
  await api.query('BEGIN');
  try {
    await api.query(
      `SELECT set_config('eca.scope', $1, true), set_config('eca.brand_id', $2, true),
                            set_config('eca.agency_id', $3, true), set_config('eca.principal_id', $4, true)`,
      [
        scope.kind,
        scope.kind === 'BRAND' ? scope.tenantId : '',
        scope.kind === 'AGENCY' ? scope.tenantId : '',
        scope.principalId,
      ],
    );
    const { rows } = await api.query(`SELECT ${pk}::text AS id FROM ${table}`);
    return rows.map((r) => toGlobalId(typeName, r.id));
  } finally {
    await api.query('ROLLBACK');
  }
}

describe('row-level security alone holds every tenant to the oracle', () => {
  it('checks every entity table with row-level security, and names the others', async () => {
    const rows: { relname: string }[] = await db.dataSource.query(
      `SELECT relname FROM pg_class WHERE relrowsecurity AND relforcerowsecurity`,
    );
    const protectedTables = new Set(rows.map((r) => r.relname));
    const unchecked = [...inventory.tables]
      .filter(([, table]) => !protectedTables.has(table))
      .map(([type]) => type)
      .sort();
    expect(unchecked).toEqual(Object.keys(NOT_CHECKED).sort());
  });

  it.each(CALLERS)('%s reads through the policies exactly the rows the oracle allows, of every table', async (name) => {
    const scope = scopes.get(name)!;
    const mismatches: Record<string, { leaked: string[]; hidden: string[] }> = {};
    let checked = 0;
    for (const [typeName, table] of inventory.tables) {
      if (typeName in NOT_CHECKED) continue;
      const seen = new Set(await readAsCaller(scope, typeName, table));
      const all = inventory.records.filter((r) => r.typeName === typeName).map((r) => r.gid);
      const leaked = all.filter((gid) => seen.has(gid) && !scope.allowed.has(gid));
      const hidden = all.filter((gid) => !seen.has(gid) && scope.allowed.has(gid));
      checked += all.length;
      if (leaked.length || hidden.length) mismatches[typeName] = { leaked, hidden };
    }
    expect(mismatches).toEqual({});
    expect(checked).toBeGreaterThan(50);
    // The caller has rows of its own in scope and rows of the other tenant out of it.
    expect(inventory.records.some((r) => !(r.typeName in NOT_CHECKED) && scope.allowed.has(r.gid))).toBe(true);
    expect(inventory.records.some((r) => !(r.typeName in NOT_CHECKED) && !scope.allowed.has(r.gid))).toBe(true);
  });
});
