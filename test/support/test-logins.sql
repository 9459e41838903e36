-- The roles of the API's connections in the tests, as an administrator creates them on a hosted PostgreSQL
-- (README, "On a hosted PostgreSQL"), the API's login with the tests' password (:api_password, replaced
-- before it is sent). Run by test/support/global-setup.mjs on the tests' server, and by tests that start a
-- PostgreSQL of their own. Idempotent, and safe from several processes at once: roles are cluster-wide.
-- A login that may not create roles leaves them as they are (they must exist then).
DO $$ BEGIN
  CREATE ROLE eca_app NOLOGIN NOBYPASSRLS;
EXCEPTION WHEN duplicate_object OR unique_violation OR insufficient_privilege THEN NULL;
END $$;
DO $$ BEGIN
  CREATE ROLE eca_api LOGIN PASSWORD :api_password IN ROLE eca_app;
EXCEPTION WHEN duplicate_object OR unique_violation OR insufficient_privilege THEN NULL;
END $$;
DO $$ BEGIN
  IF NOT pg_has_role('eca_api', 'eca_app', 'MEMBER') THEN
    GRANT eca_app TO eca_api;
  END IF;
EXCEPTION WHEN unique_violation OR insufficient_privilege THEN NULL;
END $$;
