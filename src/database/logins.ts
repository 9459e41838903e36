import { DataSource } from 'typeorm';
import { API_LOGIN, APP_ROLE } from './data-source.js';

/**
 * Two logins, checked where they are used:
 *
 * - **the API's** (`DATABASE_URL`, the server's pool): a member of eca_app that inherits its privileges and
 *   has nothing more. Not a superuser, no BYPASSRLS, no CREATEROLE, and no role it may become (SET ROLE)
 *   or inherits from is one of those or owns anything here: whatever SQL ever runs on an API connection,
 *   `RESET ROLE` included, runs with eca_app's rights at most. The server refuses to start otherwise.
 * - **the owner's** (`MIGRATION_DATABASE_URL`: migrations, seeding, the command line): owns the database
 *   or its tables, so that it may migrate and row-level security does not hide rows from it. The command
 *   line refuses a login that owns nothing (the API's), which would otherwise see empty lists.
 */
export interface LoginFacts {
  login: string;
  superuser: boolean;
  bypassRls: boolean;
  createRole: boolean;
  replication: boolean;
  /** Other roles the login is a member of (may SET ROLE to, or inherits) that carry such powers. */
  powerfulRoles: string[];
  /** Roles among the login and those it is a member of that own this database, its schema or objects in it. */
  owners: string[];
  /** Whether the login has eca_app's privileges (a member of it that inherits). */
  appPrivileges: boolean;
}

/** Predefined roles that bypass privileges on tables or reach the server's files. */
const POWERFUL_PREDEFINED = [
  'pg_read_all_data',
  'pg_write_all_data',
  'pg_execute_server_program',
  'pg_read_server_files',
  'pg_write_server_files',
];

/** What PostgreSQL says of the session's login (not of a role it switched to). */
export async function describeLogin(dataSource: DataSource): Promise<LoginFacts> {
  const [row] = await dataSource.query(
    `
    WITH me AS (SELECT * FROM pg_roles WHERE rolname = session_user),
         reach AS (SELECT r.* FROM pg_roles r, me WHERE pg_has_role(me.oid, r.oid, 'MEMBER'))
    SELECT me.rolname AS login, me.rolsuper AS superuser, me.rolbypassrls AS bypass_rls, me.rolcreaterole AS create_role,
           me.rolreplication AS replication,
           ARRAY(SELECT r.rolname::text FROM reach r WHERE r.oid <> me.oid
                   AND (r.rolsuper OR r.rolbypassrls OR r.rolcreaterole OR r.rolreplication OR r.rolname = ANY($1))
                 ORDER BY 1) AS powerful_roles,
           ARRAY(SELECT r.rolname::text FROM reach r
                 WHERE r.oid = (SELECT datdba FROM pg_database WHERE datname = current_database())
                    OR EXISTS (SELECT 1 FROM pg_namespace n WHERE n.nspname = current_schema() AND n.nspowner = r.oid)
                    OR EXISTS (SELECT 1 FROM pg_class c WHERE c.relnamespace = to_regnamespace(current_schema()) AND c.relowner = r.oid)
                 ORDER BY 1) AS owners,
           EXISTS (SELECT 1 FROM pg_roles a WHERE a.rolname = $2 AND pg_has_role(me.oid, a.oid, 'USAGE')) AS app_privileges
    FROM me`,
    [POWERFUL_PREDEFINED, APP_ROLE],
  );
  return {
    login: row.login,
    superuser: row.superuser,
    bypassRls: row.bypass_rls,
    createRole: row.create_role,
    replication: row.replication,
    powerfulRoles: row.powerful_roles,
    owners: row.owners,
    appPrivileges: row.app_privileges,
  };
}

/** Why this login may not be the API's; empty when it may. */
export function apiLoginProblems(facts: LoginFacts): string[] {
  const problems: string[] = [];
  if (facts.superuser) problems.push('it is a superuser (row-level security and every privilege check pass it by)');
  if (facts.bypassRls) problems.push('it has BYPASSRLS (row-level security would not apply to it)');
  if (facts.createRole) problems.push('it has CREATEROLE (it could create roles and grant itself theirs)');
  if (facts.replication) problems.push('it has REPLICATION');
  if (facts.powerfulRoles.length)
    problems.push(`it is a member of ${names(facts.powerfulRoles)} (SET ROLE reaches their powers)`);
  if (facts.owners.length) {
    problems.push(
      facts.owners.includes(facts.login)
        ? 'it owns this database, its schema or its tables (an owner passes row-level security by and may change the audit trail)'
        : `it is a member of ${names(facts.owners)}, which owns this database, its schema or its tables (SET ROLE leads to the owner)`,
    );
  }
  if (!facts.appPrivileges)
    problems.push(
      `it lacks ${APP_ROLE}'s privileges: an administrator runs GRANT ${APP_ROLE} TO ${quoteIdent(facts.login)} (and the login must INHERIT)`,
    );
  return problems;
}

/** The refusal of a login as the API's, worded for whoever set DATABASE_URL. */
export function apiLoginRefusal(facts: LoginFacts, variable = 'DATABASE_URL'): string {
  return (
    `${variable} logs in as ${quoteIdent(facts.login)}, which the API may not use:\n  - ${apiLoginProblems(facts).join('\n  - ')}\n` +
    `The API needs a login of its own, a member of ${APP_ROLE} with nothing more: ${API_LOGIN}, which the migrations create where the ` +
    `owner may create roles (an administrator gives it a password: ALTER ROLE ${API_LOGIN} PASSWORD '...'), or one an administrator ` +
    `creates. Put that login in ${variable}, and the owner's in MIGRATION_DATABASE_URL for migrations, seeding and the command line ` +
    '(README, "Configuration" and "On a hosted PostgreSQL").'
  );
}

/** Whether this login may migrate and sees every row: a superuser, or the owner (or a member of it) of the database or its tables. */
export function isOwnerLogin(facts: LoginFacts): boolean {
  return facts.superuser || facts.owners.length > 0;
}

function names(roles: string[]): string {
  return roles.map(quoteIdent).join(', ');
}

function quoteIdent(name: string): string {
  return /^[a-z_][a-z0-9_$]*$/.test(name) ? name : `"${name.replace(/"/g, '""')}"`;
}
