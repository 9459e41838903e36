import { Arg, Args, Authorized, Ctx, Field, FieldResolver, ID, Int, ObjectType, Query, Resolver, Root } from 'type-graphql';
import { GraphQLJSONObject } from 'graphql-scalars';
import { ALL_ROLES, isInternal, Role } from '../../shared/auth/role.js';
import { AuditEvent } from '../../shared/audit/audit-event.entity.js';
import { verifyAuditChain } from '../../shared/audit/audit.service.js';
import type { RequestContext } from '../../shared/context.js';
import { Connection, ConnectionArgs, OrderDirection, Page, paginate } from '../../shared/relay/connection.js';
import { toGlobalId } from '../../shared/relay/global-id.js';
import { loadNode } from '../node/node.service.js';

const AuditEventConnection = Connection(AuditEvent);
const TRAIL_ORDERING = { key: 'SEQ', column: 'seq', property: 'seq', direction: OrderDirection.ASC, tieBreaker: { column: 'seq', property: 'seq' } };

@ObjectType({ description: 'The result of checking the whole audit hash chain.' })
class AuditChainVerification {
  @Field()
  ok!: boolean;

  @Field(() => Int)
  eventsChecked!: number;

  @Field(() => String, { nullable: true, description: 'The first event whose link or content is wrong.' })
  firstBrokenSeq!: string | null;

  @Field(() => String, { nullable: true })
  problem!: string | null;
}

/** Values the entity resolvers mask for analysts must be masked in the recorded history too. */
const SENSITIVE_VALUES = new Set(['storageKey', 'valueHash']);

function recordedValues(ctx: RequestContext, values: Record<string, unknown> | null): Record<string, unknown> | null {
  if (!values || !isInternal(ctx.principal.role)) return null;
  if (!(ctx.scope.kind === 'ALL' && ctx.scope.maskSensitive)) return values;
  return Object.fromEntries(Object.entries(values).map(([key, value]) => [key, SENSITIVE_VALUES.has(key) ? '(masked)' : value]));
}

@Resolver(() => AuditEvent)
export class AuditTrailResolver {
  @Authorized(...ALL_ROLES)
  @Query(() => AuditEventConnection, {
    nullable: true,
    description: 'The recorded history of one record, oldest first; null if the record does not exist or is out of your scope.',
  })
  async auditTrail(@Arg('entityId', () => ID) entityId: string, @Args() args: ConnectionArgs, @Ctx() ctx: RequestContext): Promise<Page<AuditEvent> | null> {
    const entity = await loadNode(ctx, entityId, 'entityId');
    if (!entity) return null;
    const qb = ctx.db
      .createQueryBuilder(AuditEvent, 't')
      .where('t.entity_type = :type AND t.entity_id = :id', { type: entity.constructor.name, id: entity.rowId });
    return paginate(ctx, `auditTrail:${entity.constructor.name}:${entity.rowId}`, qb, TRAIL_ORDERING, args);
  }

  @Authorized(Role.ADMIN)
  @Query(() => AuditChainVerification, { nullable: true, description: 'Walk the whole audit chain and name the first broken link. Admins only.' })
  auditChainVerification(@Ctx() ctx: RequestContext): Promise<AuditChainVerification> {
    return verifyAuditChain(ctx.db);
  }

  @FieldResolver(() => ID, { description: 'Global id of the record changed.' })
  entityId(@Root() event: AuditEvent): string {
    return toGlobalId(event.entityType, event.entityId);
  }

  // The chain's position and hashes link to the events before and after, usually other tenants': a
  // partner or an agency would learn from them how much others did in between. Internal roles only.
  @FieldResolver(() => String, { nullable: true, description: 'Position in the whole audit chain, in commit order (internal roles only).' })
  seq(@Root() event: AuditEvent, @Ctx() ctx: RequestContext): string | null {
    return isInternal(ctx.principal.role) ? event.seq : null;
  }

  @FieldResolver(() => String, { nullable: true, description: 'Hash of the previous event of the chain (internal roles only).' })
  prevHash(@Root() event: AuditEvent, @Ctx() ctx: RequestContext): string | null {
    return isInternal(ctx.principal.role) ? event.prevHash : null;
  }

  @FieldResolver(() => String, { nullable: true, description: 'Hash over this event and the previous hash (internal roles only).' })
  hash(@Root() event: AuditEvent, @Ctx() ctx: RequestContext): string | null {
    return isInternal(ctx.principal.role) ? event.hash : null;
  }

  // Who acted and the recorded values can name investigators and internal fields: internal roles only.
  @FieldResolver(() => String, { nullable: true, description: 'Who acted (internal roles only).' })
  actorLabel(@Root() event: AuditEvent, @Ctx() ctx: RequestContext): string | null {
    return isInternal(ctx.principal.role) ? event.actorLabel : null;
  }

  @FieldResolver(() => GraphQLJSONObject, { nullable: true, description: 'Recorded values before the change (internal roles only; sensitive values masked for analysts).' })
  before(@Root() event: AuditEvent, @Ctx() ctx: RequestContext): Record<string, unknown> | null {
    return recordedValues(ctx, event.before);
  }

  @FieldResolver(() => GraphQLJSONObject, { nullable: true, description: 'Recorded values after the change (internal roles only; sensitive values masked for analysts).' })
  after(@Root() event: AuditEvent, @Ctx() ctx: RequestContext): Record<string, unknown> | null {
    return recordedValues(ctx, event.after);
  }
}
