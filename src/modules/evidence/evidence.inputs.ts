import { Matches, MaxLength, MinLength } from 'class-validator';
import { Field, ID, InputType, Int } from 'type-graphql';
import { EvidenceKind } from './evidence.entity.js';
import { IdempotentInput } from '../../shared/idempotency.js';

@InputType({ description: 'A new evidence item of an investigation (addEvidence).' })
export class AddEvidenceInput {
  @Field(() => ID, { description: 'Global id of the investigation the item belongs to.' })
  investigationId!: string;

  @Field(() => EvidenceKind, { description: 'What kind of item it is.' })
  kind!: EvidenceKind;

  @Field({ description: 'What the item is and shows, as it will be read in court.' })
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

  @Field({ description: 'When the item was collected (UTC); not in the future.' })
  collectedAt!: Date;

  @Field(() => String, {
    nullable: true,
    description: 'Retrying with the same key returns the first result instead of a second item.',
  })
  idempotencyKey?: string | null;
}

@InputType({ description: 'A hand-over of an evidence item from one custodian to the next (recordCustodyTransfer).' })
export class RecordCustodyTransferInput extends IdempotentInput {
  @Field(() => ID, { description: 'Global id of the evidence item.' })
  evidenceId!: string;

  @Field({ description: 'Who receives it.' })
  @MinLength(1)
  @MaxLength(200)
  toCustodian!: string;

  @Field(() => ID, {
    nullable: true,
    description:
      'Global id of the agency that receives it, when the receiver is one: one of its liaisons then acknowledges the hand-over (acknowledgeCustodyTransfer).',
  })
  toAgencyId?: string | null;

  @Field({ description: 'Why, e.g. "lab analysis", "handed to PSB-ZJ-YW".' })
  @MinLength(1)
  @MaxLength(2000)
  purpose!: string;

  @Field({
    nullable: true,
    description:
      'When it changed hands; default now. Not in the future, nor before the item was collected or last changed hands.',
  })
  transferredAt?: Date;

  @Field(() => Int, {
    nullable: true,
    description: 'The version you last saw: an item changed since is refused as STALE_VERSION.',
  })
  expectedVersion?: number | null;
}

@InputType({
  description: 'The receiving agency confirms a hand-over of an evidence item (acknowledgeCustodyTransfer).',
})
export class AcknowledgeCustodyTransferInput extends IdempotentInput {
  @Field(() => ID, { description: 'Global id of the custody transfer.' })
  custodyTransferId!: string;
}
