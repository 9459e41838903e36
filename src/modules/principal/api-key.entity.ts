import { Field, ObjectType } from 'type-graphql';
import { Column, Entity, Index } from 'typeorm';
import { Node } from '../../shared/relay/node.js';

@ObjectType({
  implements: Node,
  description: 'A bearer token of a principal. The token itself is shown once, at creation.',
})
@Entity('api_key')
export class ApiKey extends Node {
  @Column({ name: 'principal_id', type: 'bigint' })
  principalId!: string;

  @Field({ description: 'What the key is for, e.g. "brand portal production".' })
  @Column({ type: 'text' })
  name!: string;

  @Field({ description: 'The first characters of the token, to recognise it in logs and lists.' })
  @Column({ name: 'token_prefix', type: 'text' })
  tokenPrefix!: string;

  /** SHA-256 of the token: tokens are 256-bit random, so a fast hash is enough and lookups stay O(1). */
  @Index({ unique: true })
  @Column({ name: 'token_hash', type: 'text' })
  tokenHash!: string;

  @Field(() => Date, { nullable: true, description: 'When the key was revoked (UTC); null while it works.' })
  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true })
  revokedAt!: Date | null;
}
