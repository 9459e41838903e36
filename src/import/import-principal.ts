import { Principal } from '../shared/auth/principal.entity.js';
import { scopeOf } from '../shared/auth/scope.js';
import type { RequestContext } from '../shared/context.js';
import { LoaderRegistry } from '../shared/data-access/loader-registry.js';
import { ImportError } from './import-error.js';

/**
 * The context of an import done as the principal of an API key (`--as KEY_ID`): its role and scope, as a request
 * with that key has, and its name on the audit events. Whoever runs the command line owns the database, so
 * naming a key (by id, never the token) gives no more than they have; a revoked key is refused.
 */
export async function actingAs(ctx: RequestContext, apiKeyId: string): Promise<RequestContext> {
  const principal = await ctx.db
    .createQueryBuilder(Principal, 'p')
    .innerJoin('api_key', 'k', 'k.principal_id = p.id')
    .where('k.id = :apiKeyId AND k.revoked_at IS NULL', { apiKeyId })
    .getOne();
  if (!principal) throw new ImportError(`no API key ${apiKeyId} that is not revoked (see: list keys)`);
  return {
    ...ctx,
    requestId: `import-${Date.now()}`,
    principal,
    scope: scopeOf(principal),
    loaders: new LoaderRegistry(),
  };
}
