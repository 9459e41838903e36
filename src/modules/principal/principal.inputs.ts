import { Field, ID, InputType, ObjectType } from 'type-graphql';
import { MaxLength, MinLength } from 'class-validator';
import { Role } from '../../shared/auth/role.js';
import { UserError } from '../../shared/user-error.js';
import { ApiKey } from './api-key.entity.js';
import { Principal } from './principal.entity.js';
import { IdempotentInput } from '../../shared/idempotency.js';

@InputType({ description: 'A new principal: who the key belongs to.' })
export class NewPrincipalInput {
  @Field()
  @MinLength(1)
  @MaxLength(200)
  name!: string;

  @Field(() => Role)
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

  @Field(() => ID, { nullable: true })
  principalId?: string | null;

  @Field(() => NewPrincipalInput, { nullable: true })
  principal?: NewPrincipalInput | null;
}

@ObjectType()
export class CreateApiKeyPayload {
  @Field(() => ApiKey, { nullable: true })
  apiKey?: ApiKey | null;

  @Field(() => Principal, { nullable: true })
  principal?: Principal | null;

  @Field(() => String, { nullable: true, description: 'The bearer token. Shown only here, once: store it now.' })
  token?: string | null;

  @Field(() => [UserError])
  userErrors!: UserError[];
}

@InputType()
export class RevokeApiKeyInput extends IdempotentInput {
  @Field(() => ID)
  apiKeyId!: string;
}

@ObjectType()
export class RevokeApiKeyPayload {
  @Field(() => ApiKey, { nullable: true })
  apiKey?: ApiKey | null;

  @Field(() => [UserError])
  userErrors!: UserError[];
}
