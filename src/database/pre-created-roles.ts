import { MigrationInterface, QueryRunner } from 'typeorm';
import { RowLevelSecurity1763900200000 } from '../../migrations/1763900200000-RowLevelSecurity.js';

/**
 * Lets an owner without CREATEROLE run the migrations where an administrator has created the roles
 * beforehand (README, "On a hosted PostgreSQL"). The landed RowLevelSecurity migration begins with
 *
 *     DO $$ BEGIN CREATE ROLE eca_app ... EXCEPTION WHEN duplicate_object ... END $$;
 *     GRANT eca_app TO CURRENT_USER;
 *
 * and PostgreSQL checks CREATEROLE before it looks whether the role exists, so that block fails for such
 * an owner even though it would have changed nothing; the GRANT needs CREATEROLE or ADMIN OPTION on
 * eca_app (on PostgreSQL 16 and later, ADMIN OPTION), and the owner no longer needs the membership: the
 * API logs in as a login of its own (eca_api) instead of switching from the owner to eca_app.
 *
 * Landed migrations are never edited. Instead, the migration runs here with those two statements left out
 * when they would do nothing, decided in its own transaction just before it runs:
 * - the CREATE ROLE block when eca_app exists (it would have been a no-op);
 * - the GRANT when eca_app existed before and the migrating login is a member already (a no-op), or may not
 *   grant it (it would fail, for a membership nothing uses).
 * Everything else runs as written, and the migration keeps its name, so its row in the migrations table is
 * the same either way. With CREATEROLE on a new cluster nothing is left out.
 */
export const CREATE_APP_ROLE =
  /DO \$\$ BEGIN\s+CREATE ROLE eca_app NOLOGIN NOBYPASSRLS;\s+EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;[^\n]*\n\s*END \$\$;/;
export const GRANT_APP_ROLE_TO_OWNER = /GRANT eca_app TO CURRENT_USER;/;

class RowLevelSecurityWithPreCreatedRoles extends RowLevelSecurity1763900200000 {
  override async up(q: QueryRunner): Promise<void> {
    const [{ exists, member, may_grant: mayGrant }] = await q.query(`
      SELECT a.oid IS NOT NULL AS exists,
             a.oid IS NOT NULL AND pg_has_role(current_user, a.oid, 'MEMBER') AS member,
             me.rolsuper
               OR (me.rolcreaterole AND current_setting('server_version_num')::int < 160000)
               OR EXISTS (SELECT 1 FROM pg_auth_members m WHERE m.roleid = a.oid AND m.member = me.oid AND m.admin_option) AS may_grant
      FROM pg_roles me LEFT JOIN pg_roles a ON a.rolname = 'eca_app'
      WHERE me.rolname = current_user`);
    const leftOut: RegExp[] = [];
    if (exists) leftOut.push(CREATE_APP_ROLE);
    if (exists && (member || !mayGrant)) leftOut.push(GRANT_APP_ROLE_TO_OWNER);
    await super.up(leavingOut(q, leftOut));
  }
}

/** The query runner, whose `query` sends each text without the statements matched (each at most once in all). */
export function leavingOut(q: QueryRunner, statements: RegExp[]): QueryRunner {
  if (statements.length === 0) return q;
  const found = new Set<RegExp>();
  return new Proxy(q, {
    get(target, property) {
      if (property !== 'query') {
        const value = Reflect.get(target, property, target);
        return typeof value === 'function' ? value.bind(target) : value;
      }
      return (text: string, ...rest: unknown[]) => {
        let sent = text;
        for (const statement of statements) {
          if (!statement.test(sent)) continue;
          if (found.has(statement))
            throw new Error(`the statement ${statement} occurs twice in the migration: leaving it out is not safe`);
          found.add(statement);
          sent = sent.replace(statement, '-- (left out: src/database/pre-created-roles.ts)');
        }
        return (target.query as (...args: unknown[]) => Promise<unknown>)(sent, ...rest);
      };
    },
  });
}

/** The migrations, with RowLevelSecurity run as described above. */
export function withPreCreatedRoles(migrations: (new () => MigrationInterface)[]): (new () => MigrationInterface)[] {
  return migrations.map((migration) =>
    migration === RowLevelSecurity1763900200000 ? RowLevelSecurityWithPreCreatedRoles : migration,
  );
}
