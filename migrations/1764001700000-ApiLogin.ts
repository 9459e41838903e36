import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The API logs in as a login of its own, `eca_api`, instead of the owner's login switching to eca_app
 * (`-c role=eca_app`): on such a connection `RESET ROLE` led back to the owner, so any SQL that ever ran
 * on it could change the audit trail or the schema. eca_api is a member of eca_app that inherits its
 * privileges and has nothing else: `RESET ROLE` leads back to eca_api, and SET ROLE reaches eca_app only.
 *
 * Roles are cluster-wide and the owner may not be allowed to create them (a hosted PostgreSQL whose
 * administrator created eca_app and eca_api beforehand: README, "On a hosted PostgreSQL"). So this
 * migration only does what is missing and what the migrating login may do:
 * - creates eca_api (LOGIN, no password: an administrator, or the embedded set-up, gives it one) when it
 *   does not exist and the login may create roles;
 * - makes it a member of eca_app when it is not one and the login may grant that.
 * What it may not do, it leaves to an administrator; the server checks its login at start and names what
 * is missing (src/database/logins.ts). Another database's migration on the same cluster may do the same
 * at the same moment: a role or membership made meanwhile counts as made.
 *
 * It also takes back two things the API's login would otherwise have through PUBLIC:
 * - CREATE on the schema (where the migrating login owns the schema; PostgreSQL 15 no longer grants it, but
 *   a database from an older cluster still may), so that the API's login creates no objects of its own;
 * - EXECUTE on listing_takedown_day_add, a SECURITY DEFINER function that writes the takedown rollup with the
 *   owner's rights: only its triggers, which run as the owner, call it.
 */
export class ApiLogin1764001700000 implements MigrationInterface {
  name = 'ApiLogin1764001700000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      DO $$
      BEGIN
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'eca_api') THEN
          BEGIN
            CREATE ROLE eca_api LOGIN INHERIT NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS NOREPLICATION;
          EXCEPTION
            WHEN duplicate_object OR unique_violation THEN NULL;
            WHEN insufficient_privilege THEN
              RAISE NOTICE 'eca_api not created: % may not create roles (an administrator creates the API''s login)', current_user;
          END;
        END IF;
        IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'eca_api') AND NOT pg_has_role('eca_api', 'eca_app', 'MEMBER') THEN
          BEGIN
            GRANT eca_app TO eca_api;
          EXCEPTION
            WHEN unique_violation THEN NULL;
            WHEN insufficient_privilege THEN
              RAISE NOTICE 'eca_app not granted to eca_api: % may not grant it (an administrator runs GRANT eca_app TO eca_api)', current_user;
          END;
        END IF;
        IF EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = current_schema() AND pg_has_role(current_user, nspowner, 'USAGE')) THEN
          EXECUTE format('REVOKE CREATE ON SCHEMA %I FROM PUBLIC', current_schema());
        END IF;
      END $$;
      REVOKE EXECUTE ON FUNCTION listing_takedown_day_add(jsonb) FROM PUBLIC;
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    // eca_api stays: roles are cluster-wide and may serve other databases (as eca_app does). CREATE on the
    // schema stays with its owner only, as PostgreSQL 15 makes it.
    await q.query(`GRANT EXECUTE ON FUNCTION listing_takedown_day_add(jsonb) TO PUBLIC`);
  }
}
