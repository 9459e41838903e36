import { DataSource } from 'typeorm';

/**
 * Faults injected inside PostgreSQL, for tests of what a client is told when a statement fails: a
 * restrictive row-level security policy on each table named, for the API's role only, calls a function
 * that raises the SQLSTATE set for a row (57014 as a statement timeout, 40P01 as a deadlock, 22P02 as an
 * unreadable value) or sleeps first (a real statement timeout when the server's is shorter). The API sees
 * the same error, from the same statement, that the real fault would give it. Installed through the
 * owner connection of a test database; rows without a fault are not affected.
 */
export async function installFaults(owner: DataSource, tables: string[]): Promise<void> {
  await owner.query(`
    CREATE TABLE IF NOT EXISTS test_fault (table_name text NOT NULL, row_id bigint NOT NULL, sqlstate text, sleep_ms int NOT NULL DEFAULT 0, armed_when text, PRIMARY KEY (table_name, row_id));
    CREATE OR REPLACE FUNCTION test_fault_check(t text, id bigint) RETURNS boolean LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
    DECLARE f record; armed boolean;
    BEGIN
      SELECT * INTO f FROM test_fault WHERE table_name = t AND row_id = id;
      IF NOT FOUND THEN RETURN true; END IF;
      IF f.armed_when IS NOT NULL THEN
        EXECUTE 'SELECT ' || f.armed_when INTO armed;
        IF NOT armed THEN RETURN true; END IF;
      END IF;
      IF f.sleep_ms > 0 THEN PERFORM pg_sleep(f.sleep_ms / 1000.0); END IF;
      IF f.sqlstate IS NOT NULL THEN RAISE EXCEPTION 'injected fault % on %.%', f.sqlstate, t, id USING ERRCODE = f.sqlstate; END IF;
      RETURN true;
    END $$;`);
  for (const table of tables) {
    await owner.query(`DROP POLICY IF EXISTS test_fault ON ${table}`);
    await owner.query(
      `CREATE POLICY test_fault ON ${table} AS RESTRICTIVE FOR SELECT TO eca_app USING (test_fault_check('${table}', id))`,
    );
  }
}

export type FaultKind = 'timeout' | 'deadlock' | 'unreadable';
const SQLSTATE: Record<FaultKind, string> = { timeout: '57014', deadlock: '40P01', unreadable: '22P02' };

/**
 * From now on, reading row `rowId` of `table` as the API fails with this fault; with `armedWhen` (an SQL
 * condition, e.g. that a change is visible), only once that condition holds: a fault that should hit
 * what follows a change, not the change itself (any scan of the table reads the row, whatever its query).
 */
export async function injectFault(
  owner: DataSource,
  table: string,
  rowId: string,
  kind: FaultKind | { sleepMs: number },
  armedWhen?: string,
): Promise<void> {
  const [sqlstate, sleepMs] = typeof kind === 'string' ? [SQLSTATE[kind], 0] : [null, kind.sleepMs];
  await owner.query(
    `INSERT INTO test_fault (table_name, row_id, sqlstate, sleep_ms, armed_when) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (table_name, row_id) DO UPDATE SET sqlstate = EXCLUDED.sqlstate, sleep_ms = EXCLUDED.sleep_ms, armed_when = EXCLUDED.armed_when`,
    [table, rowId, sqlstate, sleepMs, armedWhen ?? null],
  );
}

export async function clearFaults(owner: DataSource): Promise<void> {
  await owner.query('DELETE FROM test_fault');
}
