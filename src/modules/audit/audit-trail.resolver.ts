import {
  Arg,
  Args,
  Authorized,
  Ctx,
  Field,
  FieldResolver,
  ID,
  Int,
  ObjectType,
  Query,
  Resolver,
  Root,
  registerEnumType,
} from 'type-graphql';
import { GraphQLJSONObject } from 'graphql-scalars';
import { ALL_ROLES, isInternal, Role } from '../../shared/auth/role.js';
import { AuditEvent } from '../../shared/audit/audit-event.entity.js';
import { verifyAuditChain } from '../../shared/audit/audit.service.js';
import type { RequestContext } from '../../shared/context.js';
import { Connection, ConnectionArgs, OrderDirection, Page, paginate } from '../../shared/relay/connection.js';
import { toGlobalId } from '../../shared/relay/global-id.js';
import { loadNode } from '../node/node.service.js';
import { Investigation } from '../investigation/investigation.entity.js';
import { investigationHistory } from './case-history.service.js';

const AuditEventConnection = Connection(AuditEvent);
const TRAIL_ORDERING = {
  key: 'SEQ',
  column: 'seq',
  property: 'seq',
  direction: OrderDirection.ASC,
  tieBreaker: { column: 'seq', property: 'seq' },
};

enum AuditLogProblemKind {
  TRUNCATED = 'TRUNCATED',
  REMOVED = 'REMOVED',
  ALTERED = 'ALTERED',
  REORDERED = 'REORDERED',
  UNSIGNED = 'UNSIGNED',
  BAD_CHECKPOINT = 'BAD_CHECKPOINT',
}
registerEnumType(AuditLogProblemKind, {
  name: 'AuditLogProblemKind',
  description: 'What is wrong with the audit log.',
  valuesConfig: {
    TRUNCATED: {
      description: 'The log holds fewer events than a signed checkpoint covers: events were removed from its end.',
    },
    REMOVED: { description: 'An event is missing from the middle of the log.' },
    ALTERED: {
      description: "An event's content does not match its hash, or the events do not give a checkpoint's root hash.",
    },
    REORDERED: { description: "Events are out of their chain's order." },
    UNSIGNED: {
      description: 'An event no checkpoint covers has no valid signature: added by someone without the signing key.',
    },
    BAD_CHECKPOINT: { description: "A checkpoint's signature does not verify with the log's keys." },
  },
});

@ObjectType({ description: 'One problem found in the audit log.' })
class AuditLogProblem {
  @Field(() => AuditLogProblemKind, { description: 'What kind of problem it is.' })
  kind!: AuditLogProblemKind;

  @Field({ description: 'The problem in words.' })
  message!: string;

  @Field(() => String, { nullable: true, description: 'The event concerned, if there is one.' })
  seq!: string | null;
}

@ObjectType({
  description:
    'The result of checking the whole audit log: its hash chain, its Merkle tree against the signed checkpoints, and the signatures of the events no checkpoint covers.',
})
class AuditChainVerification {
  @Field({ description: 'True when every link, content hash and signature checked is right.' })
  ok!: boolean;

  @Field(() => Int, { description: 'How many events the verification read.' })
  eventsChecked!: number;

  @Field(() => String, { nullable: true, description: 'The first event whose link, content or signature is wrong.' })
  firstBrokenSeq!: string | null;

  @Field(() => String, { nullable: true, description: 'The first problem found, in words; null when `ok`.' })
  problem!: string | null;

  @Field(() => [AuditLogProblem], { description: 'Every problem found (the first 20).' })
  problems!: AuditLogProblem[];

  @Field(() => Int, { description: 'Events in the log: the size of its Merkle tree.' })
  treeSize!: number;

  @Field(() => String, {
    nullable: true,
    description: 'Root hash (base64) of the whole log as it stands; null when events are missing from it.',
  })
  rootHash!: string | null;

  @Field(() => Int, { description: 'Events covered by the latest signed checkpoint.' })
  checkpointTreeSize!: number;
}

/** Values the entity resolvers mask for analysts must be masked in the recorded history too. */
const SENSITIVE_VALUES = new Set(['storageKey', 'valueHash']);

function recordedValues(ctx: RequestContext, values: Record<string, unknown> | null): Record<string, unknown> | null {
  if (!values || !isInternal(ctx.principal.role)) return null;
  if (!(ctx.scope.kind === 'ALL' && ctx.scope.maskSensitive)) return values;
  return Object.fromEntries(
    Object.entries(values).map(([key, value]) => [key, SENSITIVE_VALUES.has(key) ? '(masked)' : value]),
  );
}

@Resolver(() => AuditEvent)
export class AuditTrailResolver {
  @Authorized(...ALL_ROLES)
  @Query(() => AuditEventConnection, {
    nullable: true,
    description:
      'The recorded history of one record, oldest first; null if the record does not exist or is out of your scope.',
  })
  async auditTrail(
    @Arg('entityId', () => ID, { description: 'Global id of the record whose changes you want.' }) entityId: string,
    @Args() args: ConnectionArgs,
    @Ctx() ctx: RequestContext,
  ): Promise<Page<AuditEvent> | null> {
    const entity = await loadNode(ctx, entityId, 'entityId');
    if (!entity) return null;
    const qb = ctx.db
      .createQueryBuilder(AuditEvent, 't')
      .where('t.entity_type = :type AND t.entity_id = :id', { type: entity.constructor.name, id: entity.rowId });
    return paginate(ctx, `auditTrail:${entity.constructor.name}:${entity.rowId}`, qb, TRAIL_ORDERING, args);
  }

  @Authorized(Role.ADMIN)
  @Query(() => AuditChainVerification, {
    nullable: true,
    description:
      'Check the whole audit log against the latest signed checkpoint and name what is wrong (truncated, removed, altered, reordered, unsigned events, bad checkpoints), with its head (size and root). Admins only.',
  })
  auditChainVerification(@Ctx() ctx: RequestContext): Promise<AuditChainVerification> {
    return verifyAuditChain(ctx.db, { audit: ctx.config.audit }) as Promise<AuditChainVerification>;
  }

  @FieldResolver(() => ID, { description: 'Global id of the record changed.' })
  entityId(@Root() event: AuditEvent): string {
    return toGlobalId(event.entityType, event.entityId);
  }

  // The chain's position and hashes link to the events before and after, usually other tenants': a
  // partner or an agency would learn from them how much others did in between. Internal roles only.
  @FieldResolver(() => String, {
    nullable: true,
    description: 'Position in the whole audit chain, in commit order (internal roles only).',
  })
  seq(@Root() event: AuditEvent, @Ctx() ctx: RequestContext): string | null {
    return isInternal(ctx.principal.role) ? event.seq : null;
  }

  @FieldResolver(() => String, {
    nullable: true,
    description: 'Hash of the previous event of the chain (internal roles only).',
  })
  prevHash(@Root() event: AuditEvent, @Ctx() ctx: RequestContext): string | null {
    return isInternal(ctx.principal.role) ? event.prevHash : null;
  }

  @FieldResolver(() => String, {
    nullable: true,
    description: 'Hash over this event and the previous hash (internal roles only).',
  })
  hash(@Root() event: AuditEvent, @Ctx() ctx: RequestContext): string | null {
    return isInternal(ctx.principal.role) ? event.hash : null;
  }

  // Who acted and the recorded values can name investigators and internal fields: internal roles only.
  @FieldResolver(() => String, { nullable: true, description: 'Who acted (internal roles only).' })
  actorLabel(@Root() event: AuditEvent, @Ctx() ctx: RequestContext): string | null {
    return isInternal(ctx.principal.role) ? event.actorLabel : null;
  }

  @FieldResolver(() => GraphQLJSONObject, {
    nullable: true,
    description: 'Recorded values before the change (internal roles only; sensitive values masked for analysts).',
  })
  before(@Root() event: AuditEvent, @Ctx() ctx: RequestContext): Record<string, unknown> | null {
    return recordedValues(ctx, event.before);
  }

  @FieldResolver(() => GraphQLJSONObject, {
    nullable: true,
    description: 'Recorded values after the change (internal roles only; sensitive values masked for analysts).',
  })
  after(@Root() event: AuditEvent, @Ctx() ctx: RequestContext): Record<string, unknown> | null {
    return recordedValues(ctx, event.after);
  }
}

/** `Investigation.history`: a link between two modules lives in the higher one (README, "Architecture"). */
@Resolver(() => Investigation)
export class InvestigationHistoryResolver {
  @FieldResolver(() => AuditEventConnection, {
    description:
      'The history of the whole case in commit order: the audit events of the investigation and of its leads, findings, evidence, ' +
      "custody, referrals, outcomes, escalations and the agencies' feedback, each as far as you may see that record.",
  })
  history(
    @Root() investigation: Investigation,
    @Args() args: ConnectionArgs,
    @Ctx() ctx: RequestContext,
  ): Promise<Page<AuditEvent>> {
    return investigationHistory(ctx, investigation.rowId, args);
  }
}
