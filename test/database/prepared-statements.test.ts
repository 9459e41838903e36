import { Client } from 'pg';
import { MAX_PREPARED_PER_CONNECTION, prepareParameterisedStatements } from '../../src/database/prepared-statements';
import { serverUrl } from '../support/database';

let client: Client;

beforeAll(async () => {
  client = new Client({ connectionString: serverUrl() });
  await client.connect();
  prepareParameterisedStatements(client);
});
afterAll(async () => {
  await client.end();
});

const preparedNames = async () =>
  (await client.query(`SELECT name FROM pg_prepared_statements WHERE name LIKE 'eca_%' ORDER BY name`)).rows.map(
    (r) => r.name as string,
  );

describe('prepared statements of the API connections', () => {
  it('prepares a parameterised statement once and reuses it, whatever the length of a bound list', async () => {
    const sql = 'SELECT count(*)::int AS n FROM generate_series(1, 10) g WHERE g = ANY($1::int[])';
    expect((await client.query(sql, [[1, 2]])).rows[0].n).toBe(2);
    expect((await client.query(sql, [[1, 2, 3, 4, 5]])).rows[0].n).toBe(5);
    expect(await preparedNames()).toHaveLength(1);
  });

  it('leaves text sent without values (BEGIN, several statements in one) unnamed', async () => {
    const before = await preparedNames();
    await client.query('SELECT 1; SELECT 2');
    await client.query('SELECT 3');
    expect(await preparedNames()).toEqual(before);
  });

  it('prepares a statement sent with no parameter but a values array (a compiled selection), whose plan PostgreSQL then keeps', async () => {
    const before = await preparedNames();
    const sql = `SELECT count(*)::int AS n FROM generate_series(1, 10) g WHERE g > '4'`;
    expect((await client.query(sql, [])).rows[0].n).toBe(6);
    expect((await client.query(sql, [])).rows[0].n).toBe(6);
    const after = await preparedNames();
    expect(after).toHaveLength(before.length + 1);
    // No parameter: the generic plan, kept, even where plan_cache_mode forces custom plans for the others.
    await client.query('SET plan_cache_mode = force_custom_plan');
    await client.query(sql, []);
    const { rows } = await client.query(
      `SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE name = ANY($1)`,
      [after.filter((n) => !before.includes(n))],
    );
    expect(rows[0]).toEqual({ generic_plans: '3', custom_plans: '0' });
  });

  it('sends texts beyond the per-connection limit unnamed, and they still work', async () => {
    for (let i = 0; i < MAX_PREPARED_PER_CONNECTION + 5; i += 1) {
      expect((await client.query(`SELECT $1::int + ${i} AS v`, [1])).rows[0].v).toBe(i + 1);
    }
    expect(await preparedNames()).toHaveLength(MAX_PREPARED_PER_CONNECTION);
  });
});
