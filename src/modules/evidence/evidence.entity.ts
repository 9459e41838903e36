import { Field, ObjectType, registerEnumType } from 'type-graphql';
import { Column, Entity, VersionColumn } from 'typeorm';
import { Node } from '../../shared/relay/node.js';

export enum EvidenceKind {
  TEST_PURCHASE = 'TEST_PURCHASE',
  SCREENSHOT = 'SCREENSHOT',
  LAB_REPORT = 'LAB_REPORT',
  TRANSACTION_RECORD = 'TRANSACTION_RECORD',
  PHOTO = 'PHOTO',
  DOCUMENT = 'DOCUMENT',
}
registerEnumType(EvidenceKind, {
  name: 'EvidenceKind',
  valuesConfig: {
    DOCUMENT: { description: 'A document (contract, invoice, registration, ...).' },
    LAB_REPORT: { description: "A laboratory's report on goods (e.g. authenticity testing)." },
    PHOTO: { description: 'A photograph (of goods, packaging or premises).' },
    SCREENSHOT: { description: 'A capture of a web page or app screen.' },
    TEST_PURCHASE: { description: 'Goods bought from the seller to examine them.' },
    TRANSACTION_RECORD: { description: 'A record of payments or orders.' },
  },
  description: 'What kind of item an evidence item is.',
});

@ObjectType({ implements: Node, description: 'An item that proves something, with its chain of custody.' })
@Entity('evidence')
export class Evidence extends Node {
  @Column({ name: 'investigation_id', type: 'bigint' })
  investigationId!: string;

  @Field(() => EvidenceKind, { description: 'What kind of item it is.' })
  @Column({ type: 'text' })
  kind!: EvidenceKind;

  @Field({ description: 'What the item is and shows.' })
  @Column({ type: 'text' })
  description!: string;

  @Field({ description: 'SHA-256 of the item (hex): proves the stored file is the one collected.' })
  @Column({ type: 'text' })
  sha256!: string;

  /** Where the file is stored; exposed through a resolver that masks it for analysts. */
  @Column({ name: 'storage_key', type: 'text' })
  storageKey!: string;

  @Field({ description: 'Who collected it (person or unit).' })
  @Column({ name: 'collected_by', type: 'text' })
  collectedBy!: string;

  @Field({ description: 'When the item was collected (UTC).' })
  @Column({ name: 'collected_at', type: 'timestamptz' })
  collectedAt!: Date;

  @Field({ description: 'Who holds it now.' })
  @Column({ type: 'text' })
  custodian!: string;

  /** The uploaded file (evidence-content.service.ts): all three set together, or none; `content` in GraphQL. */
  @Column({ name: 'content_size', type: 'bigint', nullable: true })
  contentSize!: string | null;

  @Column({ name: 'content_media_type', type: 'text', nullable: true })
  contentMediaType!: string | null;

  @Column({ name: 'content_stored_at', type: 'timestamptz', nullable: true })
  contentStoredAt!: Date | null;

  @Field({ description: 'Incremented on every change; pass it back as `expectedVersion`.' })
  @VersionColumn()
  version!: number;
}
