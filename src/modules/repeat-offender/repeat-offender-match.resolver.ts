import { Arg, Args, Authorized, Ctx, FieldResolver, Mutation, Query, Resolver, Root } from 'type-graphql';
import { ALL_ROLES, CASE_WRITERS } from '../../shared/auth/role.js';
import type { RequestContext } from '../../shared/context.js';
import { loadById, loadChildren } from '../../shared/data-access/scoped-query.js';
import { Connection, ConnectionArgs, Page } from '../../shared/relay/connection.js';
import { MutationPayload, Payload, payload } from '../../shared/user-error.js';
import { Lead } from '../lead/lead.entity.js';
import { Principal } from '../principal/principal.entity.js';
import { Seller } from '../seller/seller.entity.js';
import { RepeatOffenderMatch } from './repeat-offender-match.entity.js';
import {
  ConfirmRepeatOffenderMatchInput,
  RejectRepeatOffenderMatchInput,
  RepeatOffenderMatchFilter,
} from './repeat-offender-match.inputs.js';
import { listRepeatOffenderMatches } from './repeat-offender-match.service.js';
import { confirmRepeatOffenderMatch, rejectRepeatOffenderMatch } from './repeat-offender-match-decision.service.js';

const RepeatOffenderMatchConnection = Connection(RepeatOffenderMatch);
const ConfirmRepeatOffenderMatchPayload = Payload('ConfirmRepeatOffenderMatchPayload', 'match', RepeatOffenderMatch);
const RejectRepeatOffenderMatchPayload = Payload('RejectRepeatOffenderMatchPayload', 'match', RepeatOffenderMatch);

@Resolver(() => RepeatOffenderMatch)
export class RepeatOffenderMatchResolver {
  @Authorized(...ALL_ROLES)
  @Query(() => RepeatOffenderMatchConnection, {
    nullable: true,
    description:
      'Sellers matched with earlier offenders through shared identifiers, newest first (internal roles; empty for others).',
  })
  repeatOffenderMatches(
    @Args() args: ConnectionArgs,
    @Arg('filter', () => RepeatOffenderMatchFilter, {
      nullable: true,
      description: 'Only the matches matching every field given.',
    })
    filter: RepeatOffenderMatchFilter | undefined,
    @Ctx() ctx: RequestContext,
  ): Promise<Page<RepeatOffenderMatch>> {
    return listRepeatOffenderMatches(ctx, filter, args);
  }

  @Authorized(...CASE_WRITERS)
  @Mutation(() => ConfirmRepeatOffenderMatchPayload, {
    nullable: true,
    description: 'PENDING -> CONFIRMED: the same operator behind both sellers.',
  })
  confirmRepeatOffenderMatch(
    @Arg('input', {
      description: 'The arguments of `confirmRepeatOffenderMatch` in one object (ConfirmRepeatOffenderMatchInput).',
    })
    input: ConfirmRepeatOffenderMatchInput,
    @Ctx() ctx: RequestContext,
  ): Promise<MutationPayload<RepeatOffenderMatch>> {
    return payload(() => confirmRepeatOffenderMatch(ctx, input));
  }

  @Authorized(...CASE_WRITERS)
  @Mutation(() => RejectRepeatOffenderMatchPayload, {
    nullable: true,
    description:
      'PENDING | CONFIRMED -> REJECTED: the pair is never raised again; its lead closes if nobody took it further.',
  })
  rejectRepeatOffenderMatch(
    @Arg('input', {
      description: 'The arguments of `rejectRepeatOffenderMatch` in one object (RejectRepeatOffenderMatchInput).',
    })
    input: RejectRepeatOffenderMatchInput,
    @Ctx() ctx: RequestContext,
  ): Promise<MutationPayload<RepeatOffenderMatch>> {
    return payload(() => rejectRepeatOffenderMatch(ctx, input));
  }

  @FieldResolver(() => Seller, { nullable: true, description: 'The seller whose identifier raised the match.' })
  seller(@Root() match: RepeatOffenderMatch, @Ctx() ctx: RequestContext): Promise<Seller | null> {
    return loadById(ctx, Seller, match.sellerId);
  }

  @FieldResolver(() => Seller, { nullable: true, description: 'The earlier offender it shares identifiers with.' })
  priorSeller(@Root() match: RepeatOffenderMatch, @Ctx() ctx: RequestContext): Promise<Seller | null> {
    return loadById(ctx, Seller, match.priorSellerId);
  }

  @FieldResolver(() => Lead, { nullable: true, description: 'The lead opened for it (source REPEAT_OFFENDER_MATCH).' })
  lead(@Root() match: RepeatOffenderMatch, @Ctx() ctx: RequestContext): Promise<Lead | null> {
    return loadById(ctx, Lead, match.leadId);
  }

  @FieldResolver(() => Principal, { nullable: true, description: 'Who confirmed or rejected it.' })
  decidedBy(@Root() match: RepeatOffenderMatch, @Ctx() ctx: RequestContext): Promise<Principal | null> | null {
    return match.decidedById ? loadById(ctx, Principal, match.decidedById) : null;
  }
}

@Resolver(() => Lead)
export class LeadRepeatOffenderMatchResolver {
  @FieldResolver(() => RepeatOffenderMatch, {
    nullable: true,
    description: 'For a lead raised by a repeat-offender match: the match (internal roles only).',
  })
  async repeatOffenderMatch(@Root() lead: Lead, @Ctx() ctx: RequestContext): Promise<RepeatOffenderMatch | null> {
    const [match] = await loadChildren(ctx, RepeatOffenderMatch, { column: 'lead_id' }, lead.rowId);
    return match ?? null;
  }
}
