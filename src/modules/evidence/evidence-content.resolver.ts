import { Field, Float, ObjectType, FieldResolver, Resolver, Root } from 'type-graphql';
import { Evidence } from './evidence.entity.js';

@ObjectType({
  description:
    'The file of an evidence item as the API stores it: uploaded with `PUT /evidence/{id}/content`, downloaded with `GET /evidence/{id}/content?reason=...` (README, "Evidence files").',
})
export class EvidenceContent {
  @Field(() => Float, { description: 'Size of the file in bytes.' })
  sizeBytes!: number;

  @Field({ description: 'Media type read from the first bytes of the file (not from a name), e.g. application/pdf.' })
  mediaType!: string;

  @Field({ description: 'When the file was stored (UTC).' })
  storedAt!: Date;

  @Field({
    description:
      "True: the server computed the file's SHA-256 while receiving it and it equals the evidence's `sha256` (an upload that differs is refused).",
  })
  sha256Verified!: boolean;

  @Field({ description: 'Where to download it (relative URL), with a `reason` query parameter.' })
  downloadPath!: string;
}

@Resolver(() => Evidence)
export class EvidenceContentResolver {
  @FieldResolver(() => EvidenceContent, {
    nullable: true,
    description: 'The file of the item, once uploaded to the API; null before.',
  })
  content(@Root() evidence: Evidence): EvidenceContent | null {
    if (!evidence.contentStoredAt || evidence.contentSize === null || evidence.contentMediaType === null) return null;
    return {
      sizeBytes: Number(evidence.contentSize),
      mediaType: evidence.contentMediaType,
      storedAt: evidence.contentStoredAt,
      sha256Verified: true,
      downloadPath: `/evidence/${evidence.globalId}/content`,
    };
  }
}
