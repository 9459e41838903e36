import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Every SECURITY DEFINER function of the schema searches `public, pg_temp`, in that order. With
 * `search_path = public` alone, PostgreSQL still searches the session's temporary schema, and first: the
 * API's login may create temporary tables, so a table of its own named like one the function reads
 * (`lead`, `referral`, ...) would be read with the owner's rights. Naming pg_temp last closes that
 * (PostgreSQL's documentation, "Writing SECURITY DEFINER Functions Safely"). A test checks every such
 * function, so that a later migration cannot add one without it.
 */
export class DefinerSearchPath1764002000000 implements MigrationInterface {
  name = 'DefinerSearchPath1764002000000';

  async up(q: QueryRunner): Promise<void> {
    await setDefinerSearchPath(q, 'public, pg_temp');
  }

  async down(q: QueryRunner): Promise<void> {
    await setDefinerSearchPath(q, 'public');
  }
}

/** Sets the search path of every SECURITY DEFINER function of the schema. */
function setDefinerSearchPath(q: QueryRunner, path: string): Promise<unknown> {
  return q.query(`
    DO $$
    DECLARE f regprocedure;
    BEGIN
      FOR f IN SELECT p.oid::regprocedure FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
               WHERE n.nspname = 'public' AND p.prosecdef LOOP
        EXECUTE format('ALTER FUNCTION %s SET search_path = ${path}', f);
      END LOOP;
    END $$;
  `);
}
