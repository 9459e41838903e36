import { LRUCache } from 'lru-cache';
import { DataSource } from 'typeorm';
import { hashToken, newToken, tokenPrefix } from '../../shared/auth/api-key-token.js';
import { Role } from '../../shared/auth/role.js';
import { recordAudit } from '../../shared/audit/audit.service.js';
import { inTransaction, RequestContext } from '../../shared/context.js';
import { loadById } from '../../shared/data-access/scoped-query.js';
import { decodeIdOf } from '../../shared/relay/global-id.js';
import { refuse, UserErrorCode } from '../../shared/user-error.js';
import { Agency } from '../agency/agency.entity.js';
import { Brand } from '../brand/brand.entity.js';
import { ApiKey } from './api-key.entity.js';
import { CreateApiKeyInput, NewPrincipalInput } from './principal.inputs.js';
import { Principal } from './principal.entity.js';
import { once } from '../../shared/idempotency.js';

/** The principal behind an API key (by its stored SHA-256), or null when the key is unknown or revoked. */
function principalOfKey(dataSource: DataSource, tokenHash: string): Promise<Principal | null> {
  return dataSource
    .getRepository(Principal)
    .createQueryBuilder('p')
    .innerJoin(ApiKey, 'k', 'k.principal_id = p.id')
    .where('k.token_hash = :hash AND k.revoked_at IS NULL', { hash: tokenHash })
    .getOne();
}

/**
 * Finds the caller of a request from its bearer token, remembering each valid key's principal for a
 * minute so that most requests need no round trip to authenticate. Revocation still takes effect at
 * once: every request re-checks its key in the statement that opens its transaction
 * (request-transaction.ts) and calls `forget` when the key is gone. Unknown tokens are never remembered.
 */
export class Authenticator {
  private readonly known = new LRUCache<string, Principal>({ max: 10_000, ttl: 60_000 });

  constructor(private readonly dataSource: DataSource) {}

  async authenticate(token: string): Promise<{ principal: Principal; tokenHash: string } | null> {
    const tokenHash = hashToken(token);
    let principal = this.known.get(tokenHash) ?? null;
    if (!principal) {
      principal = await principalOfKey(this.dataSource, tokenHash);
      if (principal) this.known.set(tokenHash, principal);
    }
    return principal ? { principal, tokenHash } : null;
  }

  forget(tokenHash: string): void {
    this.known.delete(tokenHash);
  }
}

export interface CreatedApiKey {
  apiKey: ApiKey;
  principal: Principal;
  token: string;
}

export async function createApiKey(ctx: RequestContext, input: CreateApiKeyInput): Promise<CreatedApiKey> {
  if (Boolean(input.principalId) === Boolean(input.principal)) {
    refuse(UserErrorCode.INVALID, 'Give exactly one of principalId (a further key for an existing principal) or principal (a new one).', ['input']);
  }
  return inTransaction(ctx, async (tx) => {
    const principal = input.principal
      ? await createPrincipal(tx, input.principal)
      : await existingPrincipal(tx, input.principalId!);
    const token = newToken();
    const apiKey = tx.db.create(ApiKey, { principalId: principal.rowId, name: input.name, tokenPrefix: tokenPrefix(token), tokenHash: hashToken(token), revokedAt: null });
    await tx.db.save(apiKey);
    await recordAudit(tx, { action: 'apiKey.created', entityType: 'ApiKey', entityId: apiKey.rowId, after: { name: apiKey.name, principalId: principal.rowId, tokenPrefix: apiKey.tokenPrefix } });
    return { apiKey, principal, token };
  });
}

async function existingPrincipal(ctx: RequestContext, globalId: string): Promise<Principal> {
  const principal = await loadById(ctx, Principal, decodeIdOf('Principal', globalId, 'principalId'));
  return principal ?? refuse(UserErrorCode.NOT_FOUND, 'No principal has this id.', ['input', 'principalId']);
}

async function createPrincipal(ctx: RequestContext, input: NewPrincipalInput): Promise<Principal> {
  const needsBrand = input.role === Role.BRAND_PARTNER;
  const needsAgency = input.role === Role.AGENCY_LIAISON;
  if (needsBrand !== Boolean(input.brandId)) {
    refuse(UserErrorCode.INVALID, needsBrand ? 'A BRAND_PARTNER needs a brandId.' : `A ${input.role} has no brand.`, ['input', 'principal', 'brandId']);
  }
  if (needsAgency !== Boolean(input.agencyId)) {
    refuse(UserErrorCode.INVALID, needsAgency ? 'An AGENCY_LIAISON needs an agencyId.' : `A ${input.role} has no agency.`, ['input', 'principal', 'agencyId']);
  }
  const brand = input.brandId ? await loadById(ctx, Brand, decodeIdOf('Brand', input.brandId, 'brandId')) : null;
  if (input.brandId && !brand) refuse(UserErrorCode.NOT_FOUND, 'No brand has this id.', ['input', 'principal', 'brandId']);
  const agency = input.agencyId ? await loadById(ctx, Agency, decodeIdOf('Agency', input.agencyId, 'agencyId')) : null;
  if (input.agencyId && !agency) refuse(UserErrorCode.NOT_FOUND, 'No agency has this id.', ['input', 'principal', 'agencyId']);
  const principal = ctx.db.create(Principal, { name: input.name, role: input.role, brandId: brand?.rowId ?? null, agencyId: agency?.rowId ?? null });
  await ctx.db.save(principal);
  await recordAudit(ctx, { action: 'principal.created', entityType: 'Principal', entityId: principal.rowId, after: { name: principal.name, role: principal.role, brandId: principal.brandId, agencyId: principal.agencyId } });
  return principal;
}

export async function revokeApiKey(ctx: RequestContext, apiKeyGlobalId: string, idempotencyKey?: string | null): Promise<{ apiKey: ApiKey }> {
  const rowId = decodeIdOf('ApiKey', apiKeyGlobalId, 'apiKeyId');
  const input = { apiKeyId: apiKeyGlobalId, idempotencyKey };
  return inTransaction(ctx, async (tx) => ({
    apiKey: await once(tx, 'revokeApiKey', input, ApiKey, async () => {
      const apiKey = await tx.db.getRepository(ApiKey).findOne({ where: { rowId }, lock: { mode: 'pessimistic_write' } });
      if (!apiKey) refuse(UserErrorCode.NOT_FOUND, 'No API key has this id.', ['input', 'apiKeyId']);
      if (apiKey.revokedAt) refuse(UserErrorCode.INVALID_TRANSITION, 'This API key is already revoked.', ['input', 'apiKeyId']);
      apiKey.revokedAt = new Date();
      await tx.db.update(ApiKey, { rowId }, { revokedAt: apiKey.revokedAt });
      await recordAudit(tx, { action: 'apiKey.revoked', entityType: 'ApiKey', entityId: rowId, before: { revokedAt: null }, after: { revokedAt: apiKey.revokedAt } });
      return apiKey;
    }),
  }));
}
