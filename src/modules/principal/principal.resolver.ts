import { Arg, Authorized, Ctx, FieldResolver, Mutation, Query, Resolver, Root } from 'type-graphql';
import { ALL_ROLES, Role } from '../../shared/auth/role.js';
import type { RequestContext } from '../../shared/context.js';
import { loadById } from '../../shared/data-access/scoped-query.js';
import { asPayload } from '../../shared/user-error.js';
import { Agency } from '../agency/agency.entity.js';
import { Brand } from '../brand/brand.entity.js';
import { ApiKey } from './api-key.entity.js';
import { CreateApiKeyInput, CreateApiKeyPayload, RevokeApiKeyInput, RevokeApiKeyPayload } from './principal.inputs.js';
import { Principal } from './principal.entity.js';
import { createApiKey, revokeApiKey } from './principal.service.js';

@Resolver(() => Principal)
export class PrincipalResolver {
  @Authorized(...ALL_ROLES)
  @Query(() => Principal, { nullable: true, description: 'Who is calling: the principal of the API key in use.' })
  viewer(@Ctx() ctx: RequestContext): Principal {
    return ctx.principal;
  }

  @FieldResolver(() => Brand, { nullable: true, description: 'The brand a brand partner acts for.' })
  brand(@Root() principal: Principal, @Ctx() ctx: RequestContext): Promise<Brand | null> | null {
    return principal.brandId ? loadById(ctx, Brand, principal.brandId) : null;
  }

  @FieldResolver(() => Agency, { nullable: true, description: 'The agency an agency liaison acts for.' })
  agency(@Root() principal: Principal, @Ctx() ctx: RequestContext): Promise<Agency | null> | null {
    return principal.agencyId ? loadById(ctx, Agency, principal.agencyId) : null;
  }

  @Authorized(Role.ADMIN)
  @Mutation(() => CreateApiKeyPayload, {
    nullable: true,
    description: 'Create an API key, for a new principal or an existing one. Admins only.',
  })
  createApiKey(
    @Arg('input', { description: 'The arguments of `createApiKey` in one object (CreateApiKeyInput).' })
    input: CreateApiKeyInput,
    @Ctx() ctx: RequestContext,
  ): Promise<CreateApiKeyPayload> {
    return asPayload(() => createApiKey(ctx, input));
  }

  @Authorized(Role.ADMIN)
  @Mutation(() => RevokeApiKeyPayload, { nullable: true, description: 'Revoke an API key at once. Admins only.' })
  revokeApiKey(
    @Arg('input', { description: 'The arguments of `revokeApiKey` in one object (RevokeApiKeyInput).' })
    input: RevokeApiKeyInput,
    @Ctx() ctx: RequestContext,
  ): Promise<RevokeApiKeyPayload> {
    return asPayload(() => revokeApiKey(ctx, input.apiKeyId, input.idempotencyKey));
  }
}

@Resolver(() => ApiKey)
export class ApiKeyResolver {
  @FieldResolver(() => Principal, { nullable: true, description: 'Who the key acts as.' })
  principal(@Root() apiKey: ApiKey, @Ctx() ctx: RequestContext): Promise<Principal | null> {
    return loadById(ctx, Principal, apiKey.principalId);
  }
}
