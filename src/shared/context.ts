import { DataSource, EntityManager } from 'typeorm';
import { Config } from './config.js';
import { Scope } from './auth/scope.js';
import { LoaderRegistry } from './data-access/loader-registry.js';
import { Principal as PrincipalClass, type Principal } from './auth/principal.entity.js';
import { Role } from './auth/role.js';
import {
  backoff,
  CHANGE_ATTEMPTS,
  ChangeConnection,
  isTransientConflict,
  NotKeptError,
  OutcomeUnknownError,
  PendingChange,
} from './transaction.js';

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
  /** The request's connection, whose transactions a change commits (absent for the server's own work). */
  connection?: ChangeConnection;
  /** Set inside a change (inTransaction): what it writes just before its COMMIT. */
  change?: PendingChange;
}

/**
 * Runs a change: `work` in one database transaction of its own, with a context whose `db` is that
 * transaction, so that every write below (its audit events included) commits or rolls back together.
 * It is committed, and the commit checked, before this returns: what the caller is told next (the
 * mutation's payload, a later mutation of the same request) can no longer undo it (README, "API
 * conventions"). A deadlock or serialization failure runs the change again, a bounded number of times.
 * Reads inside use loaders of their own (they must see the change's writes); the request's loaders are
 * cleared afterwards, so that fields read after a mutation see its effect. Inside a change, this is
 * simply part of it.
 */
export async function inTransaction<T>(ctx: RequestContext, work: (tx: RequestContext) => Promise<T>): Promise<T> {
  if (ctx.change) return work(ctx);
  for (let attempt = 1; ; attempt += 1) {
    try {
      const result = ctx.connection
        ? await changeOnRequestConnection(ctx, ctx.connection, work)
        : await changeOnOwnConnection(ctx, work);
      ctx.loaders.clearAll();
      return result;
    } catch (error) {
      if (!isTransientConflict(error)) throw error;
      if (attempt === CHANGE_ATTEMPTS)
        throw new NotKeptError(`The change collided with concurrent changes ${CHANGE_ATTEMPTS} times`, error);
      await backoff(attempt);
    }
  }
}

async function changeOnRequestConnection<T>(
  ctx: RequestContext,
  connection: ChangeConnection,
  work: (tx: RequestContext) => Promise<T>,
): Promise<T> {
  const change: PendingChange = { beforeCommit: [], withCommit: [] };
  connection.changing = true;
  try {
    const result = await work({ ...ctx, loaders: new LoaderRegistry(), change });
    for (const step of change.beforeCommit) await step();
    await connection.commit(change.withCommit);
    return result;
  } catch (error) {
    // After an unknown outcome the connection is gone; otherwise nothing of the change may stay open.
    if (!(error instanceof OutcomeUnknownError)) await connection.rollback().catch(() => undefined);
    throw error;
  } finally {
    connection.changing = false;
  }
}

/** The server's own work (command line, seed, demo): a transaction on a pooled connection. */
async function changeOnOwnConnection<T>(ctx: RequestContext, work: (tx: RequestContext) => Promise<T>): Promise<T> {
  return ctx.db.transaction(async (manager) => {
    const change: PendingChange = { beforeCommit: [], withCommit: [] };
    const result = await work({ ...ctx, db: manager, loaders: new LoaderRegistry(), change });
    for (const step of change.beforeCommit) await step();
    if (change.withCommit.length) await manager.query(change.withCommit.join(';\n'));
    return result;
  });
}

/** The context of work done by the server itself (seeding, CLI): an administrator with no principal row. */
export function systemContext(dataSource: DataSource, config: Config, label = 'system'): RequestContext {
  const principal = Object.assign(Object.create(PrincipalClass.prototype), {
    rowId: null,
    name: label,
    role: Role.ADMIN,
    brandId: null,
    agencyId: null,
  });
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
