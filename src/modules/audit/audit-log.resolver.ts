import { Arg, Authorized, Ctx, Field, FieldResolver, Int, ObjectType, Query, Resolver, Root } from 'type-graphql';
import { ALL_ROLES } from '../../shared/auth/role.js';
import { AuditEvent } from '../../shared/audit/audit-event.entity.js';
import { latestCheckpoint, StoredCheckpoint } from '../../shared/audit/audit-checkpoint.js';
import { AuditTree, leafOfEvent } from '../../shared/audit/audit-tree.js';
import type { RequestContext } from '../../shared/context.js';
import { badInput } from '../../shared/errors.js';

/**
 * The audit log as outsiders verify it, in the manner of Certificate Transparency (RFC 9162; README,
 * "Verifying the audit log"): the latest signed checkpoint, consistency proofs between two of them, and
 * the inclusion proof of an event. Any role may ask: a checkpoint and a consistency proof tell how many
 * events the log holds and hashes of them, never what they say. An inclusion proof is a field of an event,
 * reached the way the event is (auditTrail, Investigation.history): an event out of the caller's scope
 * cannot be named, exactly as one that does not exist.
 */

@ObjectType({
  description:
    "A signed checkpoint of the audit log: the root hash of its first treeSize events, signed with the log's Ed25519 key (GET /audit/keys). Keep one; later, ask for a consistency proof from it.",
})
export class AuditCheckpoint {
  @Field({ description: 'The log it speaks for (the first line of the note).' })
  origin!: string;

  @Field(() => Int, { description: 'Events the checkpoint covers.' })
  treeSize!: number;

  @Field({ description: 'RFC 9162 Merkle tree hash of those events, base64.' })
  rootHash!: string;

  @Field({ description: 'When it was signed.' })
  timestamp!: Date;

  @Field({ description: 'Id of the key that signed it, as listed at GET /audit/keys.' })
  keyId!: string;

  @Field({ description: 'Ed25519 signature of the UTF-8 bytes of note, base64.' })
  signature!: string;

  @Field({
    description:
      'The signed text: origin, tree size, root hash (base64) and timestamp (ISO 8601), each followed by a newline.',
  })
  note!: string;
}

@ObjectType({
  description:
    "RFC 9162 inclusion proof of an audit event in the log's tree of treeSize events (verify it against the root of the checkpoint of that size).",
})
export class AuditInclusionProof {
  @Field(() => Int, { description: "Position of the event's leaf in the tree (0-based, commit order)." })
  leafIndex!: number;

  @Field(() => Int, { description: 'Size of the tree the proof is for (events in the log then).' })
  treeSize!: number;

  @Field({ description: "The event's leaf hash, base64: SHA-256 of 0x00 and the event's chain hash (hex-decoded)." })
  leafHash!: string;

  @Field(() => [String], { description: 'The audit path, base64, nearest the leaf first.' })
  hashes!: string[];
}

const asGraphQL = (checkpoint: StoredCheckpoint): AuditCheckpoint =>
  Object.assign(new AuditCheckpoint(), { ...checkpoint, timestamp: new Date(checkpoint.timestamp) });

/** The latest signed checkpoint, read once per request. */
function latestOf(ctx: RequestContext): Promise<StoredCheckpoint | null> {
  return ctx.loaders
    .get<'latest', StoredCheckpoint | null>('AuditCheckpoint.latest', async (keys) => {
      const { checkpoint } = await latestCheckpoint(ctx.db, ctx.config.audit);
      return keys.map(() => checkpoint);
    })
    .load('latest');
}

function sizeArgument(value: number, argument: string, max: number): number {
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw badInput(
      `${argument} must be a tree size from 1 to ${max}, the size of the latest checkpoint (auditCheckpoint.treeSize).`,
      argument,
    );
  }
  return value;
}

@Resolver(() => AuditEvent)
export class AuditLogResolver {
  @Authorized(...ALL_ROLES)
  @Query(() => AuditCheckpoint, {
    nullable: true,
    description: 'The latest signed checkpoint of the audit log; null before the first.',
  })
  async auditCheckpoint(@Ctx() ctx: RequestContext): Promise<AuditCheckpoint | null> {
    const latest = await latestOf(ctx);
    return latest && asGraphQL(latest);
  }

  @Authorized(...ALL_ROLES)
  @Query(() => [String], {
    nullable: true,
    description:
      "RFC 9162 consistency proof (base64 hashes) that the log of toSize events extends the one of fromSize: both sizes at most the latest checkpoint's. Verify it against the two checkpoints' root hashes. Null before the first checkpoint.",
  })
  async auditConsistencyProof(
    @Arg('fromSize', () => Int, { description: 'Size of the earlier tree (events then), 1 or more.' }) fromSize: number,
    @Arg('toSize', () => Int, {
      description: "Size of the later tree, at least `fromSize` and at most the log's size.",
    })
    toSize: number,
    @Ctx() ctx: RequestContext,
  ): Promise<string[] | null> {
    const latest = await latestOf(ctx);
    if (!latest) return null;
    const to = sizeArgument(toSize, 'toSize', latest.treeSize);
    const from = sizeArgument(fromSize, 'fromSize', to);
    const proof = await new AuditTree(ctx.db).consistencyProof(from, to);
    return proof.map((hash) => hash.toString('base64'));
  }

  @FieldResolver(() => AuditInclusionProof, {
    nullable: true,
    description:
      "Proof that this event is in the log's tree of treeSize events (default: the latest checkpoint's); null while no checkpoint covers it.",
  })
  async inclusionProof(
    @Root() event: AuditEvent,
    @Arg('treeSize', () => Int, { nullable: true, description: "A checkpoint's tree size, at most the latest's." })
    treeSize: number | null | undefined,
    @Ctx() ctx: RequestContext,
  ): Promise<AuditInclusionProof | null> {
    const latest = await latestOf(ctx);
    if (!latest) return null;
    const size =
      treeSize === null || treeSize === undefined
        ? latest.treeSize
        : sizeArgument(treeSize, 'treeSize', latest.treeSize);
    // An event read without its leaf (a hand-made selection) has no proof to give.
    if (event.leafIndex === undefined || event.leafIndex === null || !event.hash) return null;
    const index = Number(event.leafIndex);
    if (index >= size) return null;
    const hashes = await ctx.loaders
      .get<string, string[]>('AuditEvent.inclusionProof', async (keys) => {
        const requests = keys.map((key) => key.split(':').map(Number)).map(([i, n]) => ({ index: i, size: n }));
        const proofs = await new AuditTree(ctx.db).inclusionProofs(requests);
        return proofs.map((proof) => proof.map((hash) => hash.toString('base64')));
      })
      .load(`${index}:${size}`);
    return Object.assign(new AuditInclusionProof(), {
      leafIndex: index,
      treeSize: size,
      leafHash: leafOfEvent(event.hash).toString('base64'),
      hashes,
    });
  }
}
