import { DataSource } from 'typeorm';
import type { RequestContext } from '../context.js';
import { applyScope } from './scope.js';

type Queryable = { query(sql: string, parameters?: unknown[]): Promise<{ valid: boolean }[]> };

/**
 * Whether the API key with this hash is still unrevoked, read in the caller's transaction once its scope is set
 * (the api_key policy admits a caller's own keys). The Authenticator keeps keys for a minute: a route that does
 * not go through the request transaction's own check (http/request-transaction.ts) asks this before it serves.
 */
export async function apiKeyValidIn(db: Queryable, apiKeyHash: string): Promise<boolean> {
  const [{ valid }] = await db.query(
    'SELECT EXISTS (SELECT 1 FROM api_key WHERE token_hash = $1 AND revoked_at IS NULL) AS valid',
    [apiKeyHash],
  );
  return Boolean(valid);
}

/** apiKeyValidIn, in a transaction of its own with the caller's scope. */
export async function apiKeyStillValid(
  dataSource: DataSource,
  ctx: Pick<RequestContext, 'scope' | 'principal' | 'apiKeyHash'>,
): Promise<boolean> {
  if (ctx.apiKeyHash === null) return true;
  return dataSource.transaction(async (db) => {
    await applyScope(db, ctx.scope, ctx.principal.rowId);
    return apiKeyValidIn(db, ctx.apiKeyHash!);
  });
}
