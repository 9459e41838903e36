import { DataSource, EntityManager } from 'typeorm';
import { Config } from '../config.js';
import { Scope } from './auth/scope.js';
import { LoaderRegistry } from './data-access/loader-registry.js';
import { Principal as PrincipalClass, type Principal } from '../modules/principal/principal.entity.js';
import { Role } from './auth/role.js';

/** Everything a resolver or service needs about the current request. Services take it first. */
export interface RequestContext {
  requestId: string;
  principal: Principal;
  /** SHA-256 of the caller's API key, re-checked as the request's transaction opens; null for the server's own work. */
  apiKeyHash: string | null;
  scope: Scope;
  /** The entity manager of the current transaction, or of the data source outside one. */
  db: EntityManager;
  dataSource: DataSource;
  config: Config;
  loaders: LoaderRegistry;
}

/**
 * Runs `work` in one database transaction with a context whose `db` is that transaction, so that every
 * write below (including audit events) commits or rolls back together. Reads inside use loaders of
 * their own (they must see the transaction's writes); the request's loaders are cleared after commit,
 * so that fields read after a mutation see its effect.
 */
export async function inTransaction<T>(ctx: RequestContext, work: (tx: RequestContext) => Promise<T>): Promise<T> {
  // Inside a request's transaction this is a savepoint: a refused mutation rolls back to it alone.
  const result = await ctx.db.transaction((manager) => work({ ...ctx, db: manager, loaders: new LoaderRegistry() }));
  ctx.loaders.clearAll();
  return result;
}

/** The context of work done by the server itself (seeding, CLI): an administrator with no principal row. */
export function systemContext(dataSource: DataSource, config: Config, label = 'system'): RequestContext {
  const principal = Object.assign(Object.create(PrincipalClass.prototype), { rowId: null, name: label, role: Role.ADMIN, brandId: null, agencyId: null });
  return {
    requestId: `${label}-${Date.now()}`,
    principal,
    apiKeyHash: null,
    scope: { kind: 'ALL', role: Role.ADMIN, maskSensitive: false },
    db: dataSource.manager,
    dataSource,
    config,
    loaders: new LoaderRegistry(),
  };
}
