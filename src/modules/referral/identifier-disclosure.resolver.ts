import { Arg, Authorized, Ctx, Mutation, Resolver } from 'type-graphql';
import { Role } from '../../shared/auth/role.js';
import type { RequestContext } from '../../shared/context.js';
import { MutationPayload, Payload, payload } from '../../shared/user-error.js';
import { SellerIdentifierDisclosure } from '../seller/seller-identifier-disclosure.types.js';
import { RevealSellerIdentifiersInput } from '../seller/seller.inputs.js';
import { revealSellerIdentifiers } from './identifier-disclosure.service.js';

const RevealSellerIdentifiersPayload = Payload(
  'RevealSellerIdentifiersPayload',
  'disclosure',
  SellerIdentifierDisclosure,
);

/** `revealSellerIdentifiers`: an agency's legal basis is a referral, so it lives here, above the seller module. */
@Resolver()
export class IdentifierDisclosureResolver {
  @Authorized(Role.ADMIN, Role.INVESTIGATOR, Role.AGENCY_LIAISON)
  @Mutation(() => RevealSellerIdentifiersPayload, {
    nullable: true,
    description:
      'Reveal the raw identifier values of a seller for a stated purpose; every value revealed is recorded in the audit trail with the actor, purpose and time. ' +
      'An agency liaison must name a referral sent to its agency whose leads name the seller. Brand partners and analysts may not.',
  })
  revealSellerIdentifiers(
    @Arg('input', {
      description: 'The arguments of `revealSellerIdentifiers` in one object (RevealSellerIdentifiersInput).',
    })
    input: RevealSellerIdentifiersInput,
    @Ctx() ctx: RequestContext,
  ): Promise<MutationPayload<SellerIdentifierDisclosure>> {
    return payload(() => revealSellerIdentifiers(ctx, input));
  }
}
