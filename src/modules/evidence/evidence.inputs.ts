import { Matches, MaxLength, MinLength } from 'class-validator';
import { Field, ID, InputType, Int } from 'type-graphql';
import { EvidenceKind } from './evidence.entity.js';
import { IdempotentInput } from '../../shared/idempotency.js';

@InputType()
export class AddEvidenceInput {
  @Field(() => ID)
  investigationId!: string;

  @Field(() => EvidenceKind)
  kind!: EvidenceKind;

  @Field()
  @MinLength(1)
  @MaxLength(10_000)
  description!: string;

  @Field({ description: 'SHA-256 of the item, 64 lowercase hex characters.' })
  @Matches(/^[0-9a-f]{64}$/, { message: 'sha256 must be 64 lowercase hexadecimal characters' })
  sha256!: string;

  @Field({ description: 'Where the file is stored (object store key).' })
  @MinLength(1)
  @MaxLength(1000)
  storageKey!: string;

  @Field({ description: 'Who collected it; becomes its first custodian.' })
  @MinLength(1)
  @MaxLength(200)
  collectedBy!: string;

  @Field()
  collectedAt!: Date;

  @Field(() => String, { nullable: true })
  idempotencyKey?: string | null;
}

@InputType()
export class RecordCustodyTransferInput extends IdempotentInput {
  @Field(() => ID)
  evidenceId!: string;

  @Field({ description: 'Who receives it.' })
  @MinLength(1)
  @MaxLength(200)
  toCustodian!: string;

  @Field({ description: 'Why, e.g. "lab analysis", "handed to PSB-ZJ-YW".' })
  @MinLength(1)
  @MaxLength(2000)
  purpose!: string;

  @Field({ nullable: true, description: 'When it changed hands; default now.' })
  transferredAt?: Date;

  @Field(() => Int, { nullable: true })
  expectedVersion?: number | null;
}
