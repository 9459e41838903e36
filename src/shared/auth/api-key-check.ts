import { DataSource } from 'typeorm';
import type { RequestContext } from '../context.js';
import { applyScope } from './scope.js';

/**
 * Whether the caller's API key is still unrevoked, read now in a transaction with its scope (the api_key policy
 * admits a caller's own keys). The Authenticator keeps keys for a minute; a route that does not go through the
 * request transaction's key check (http/request-transaction.ts) asks this before it serves anything.
 */
export async function apiKeyStillValid(
  dataSource: DataSource,
  ctx: Pick<RequestContext, 'scope' | 'principal' | 'apiKeyHash'>,
): Promise<boolean> {
  if (ctx.apiKeyHash === null) return true;
  return dataSource.transaction(async (db) => {
    await applyScope(db, ctx.scope, ctx.principal.rowId);
    const [{ valid }] = await db.query(
      'SELECT EXISTS (SELECT 1 FROM api_key WHERE token_hash = $1 AND revoked_at IS NULL) AS valid',
      [ctx.apiKeyHash],
    );
    return Boolean(valid);
  });
}
