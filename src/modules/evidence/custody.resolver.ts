import { Arg, Authorized, Ctx, FieldResolver, Mutation, Resolver, Root } from 'type-graphql';
import { Role } from '../../shared/auth/role.js';
import type { RequestContext } from '../../shared/context.js';
import { loadById } from '../../shared/data-access/scoped-query.js';
import { MutationPayload, Payload, payload } from '../../shared/user-error.js';
import { Agency } from '../agency/agency.entity.js';
import { acknowledgeCustodyTransfer } from './custody-acknowledgement.service.js';
import { CustodyTransfer } from './custody-transfer.entity.js';
import { AcknowledgeCustodyTransferInput } from './evidence.inputs.js';

const AcknowledgeCustodyTransferPayload = Payload(
  'AcknowledgeCustodyTransferPayload',
  'custodyTransfer',
  CustodyTransfer,
);

@Resolver(() => CustodyTransfer)
export class CustodyTransferResolver {
  @Authorized(Role.AGENCY_LIAISON)
  @Mutation(() => AcknowledgeCustodyTransferPayload, {
    nullable: true,
    description: 'Confirm, as the receiving agency, that an evidence item handed over to it was received.',
  })
  acknowledgeCustodyTransfer(
    @Arg('input', {
      description: 'The arguments of `acknowledgeCustodyTransfer` in one object (AcknowledgeCustodyTransferInput).',
    })
    input: AcknowledgeCustodyTransferInput,
    @Ctx() ctx: RequestContext,
  ): Promise<MutationPayload<CustodyTransfer>> {
    return payload(() => acknowledgeCustodyTransfer(ctx, input));
  }

  @FieldResolver(() => Agency, {
    nullable: true,
    description: 'The agency that received the item, when the receiver is one (it acknowledges the hand-over).',
  })
  toAgency(@Root() transfer: CustodyTransfer, @Ctx() ctx: RequestContext): Promise<Agency | null> | null {
    return transfer.toAgencyId === null ? null : loadById(ctx, Agency, transfer.toAgencyId);
  }
}
