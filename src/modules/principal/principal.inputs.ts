import { Field, ID, InputType, ObjectType } from 'type-graphql';
import { MaxLength, MinLength } from 'class-validator';
import { Role } from '../../shared/auth/role.js';
import { UserError } from '../../shared/user-error.js';
import { ApiKey } from './api-key.entity.js';
import { Principal } from './principal.entity.js';
import { IdempotentInput } from '../../shared/idempotency.js';

@InputType({ description: 'A new principal: who the key belongs to.' })
export class NewPrincipalInput {
  @Field({ description: 'Who the principal is, e.g. a person or a system ("ACME brand portal").' })
  @MinLength(1)
  @MaxLength(200)
  name!: string;

  @Field(() => Role, { description: 'What the principal may see and do.' })
  role!: Role;

  @Field(() => ID, { nullable: true, description: 'Required for BRAND_PARTNER, refused otherwise.' })
  brandId?: string | null;

  @Field(() => ID, { nullable: true, description: 'Required for AGENCY_LIAISON, refused otherwise.' })
  agencyId?: string | null;
}

@InputType({ description: 'Give exactly one of `principalId` (a further key, e.g. to rotate) or `principal`.' })
export class CreateApiKeyInput {
  @Field({ description: 'What the key is for, e.g. "brand portal production".' })
  @MinLength(1)
  @MaxLength(200)
  name!: string;

  @Field(() => ID, {
    nullable: true,
    description: 'Global id of an existing principal the key acts as; give this or `principal`, not both.',
  })
  principalId?: string | null;

  @Field(() => NewPrincipalInput, {
    nullable: true,
    description: 'A new principal to create for the key; give this or `principalId`, not both.',
  })
  principal?: NewPrincipalInput | null;
}

@ObjectType({
  description: 'What `createApiKey` answers: the key with its token (shown once), or the user error that refused it.',
})
export class CreateApiKeyPayload {
  @Field(() => ApiKey, { nullable: true, description: 'The key created; null when refused.' })
  apiKey?: ApiKey | null;

  @Field(() => Principal, { nullable: true, description: 'Who the key acts as; null when refused.' })
  principal?: Principal | null;

  @Field(() => String, { nullable: true, description: 'The bearer token. Shown only here, once: store it now.' })
  token?: string | null;

  @Field(() => [UserError], { description: 'Why the mutation was refused; empty on success.' })
  userErrors!: UserError[];
}

@InputType({ description: 'Revoke an API key (revokeApiKey).' })
export class RevokeApiKeyInput extends IdempotentInput {
  @Field(() => ID, { description: 'Global id of the key.' })
  apiKeyId!: string;
}

@ObjectType({ description: 'What `revokeApiKey` answers: the revoked key, or the user error that refused it.' })
export class RevokeApiKeyPayload {
  @Field(() => ApiKey, { nullable: true, description: 'The key revoked; null when refused.' })
  apiKey?: ApiKey | null;

  @Field(() => [UserError], { description: 'Why the mutation was refused; empty on success.' })
  userErrors!: UserError[];
}
