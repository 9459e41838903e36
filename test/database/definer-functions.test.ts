// Functions that run with the owner's rights (SECURITY DEFINER) must not be steered by the caller: each
// fixes its search path to `public, pg_temp`, so that a temporary table of the API's login cannot stand in
// for a table the function reads (migration DefinerSearchPath).
import { useTestServer } from '../support/harness';

const { db, world, server } = useTestServer({ world: false, server: false });

describe('SECURITY DEFINER functions', () => {
  it('each search public, then pg_temp last', async () => {
    const functions: { name: string; config: string[] | null }[] = await db.dataSource.query(
      `SELECT p.oid::regprocedure::text AS name, p.proconfig AS config FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
       WHERE n.nspname = 'public' AND p.prosecdef ORDER BY 1`,
    );
    expect(functions.length).toBeGreaterThan(10);
    const unsafe = functions
      .filter((f) => !(f.config ?? []).includes('search_path=public, pg_temp'))
      .map((f) => `${f.name}: ${JSON.stringify(f.config)}`);
    expect(unsafe).toEqual([]);
  });
});
