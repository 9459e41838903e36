import { Arg, Args, Authorized, Ctx, FieldResolver, Mutation, Query, Resolver, Root } from 'type-graphql';
import { ALL_ROLES, CASE_WRITERS } from '../../shared/auth/role.js';
import { MutationPayload, Payload, payload } from '../../shared/user-error.js';
import type { RequestContext } from '../../shared/context.js';
import { loadChildren } from '../../shared/data-access/scoped-query.js';
import { Connection, ConnectionArgs, Page } from '../../shared/relay/connection.js';
import { SellerIdentifier } from './seller-identifier.entity.js';
import { Seller } from './seller.entity.js';
import { addSellerIdentifier, createSeller } from './seller-identifier.service.js';
import {
  AddSellerIdentifierInput,
  CreateSellerInput,
  SellerFilter,
  SellerOrder,
  UpdateSellerStatusInput,
} from './seller.inputs.js';
import { listSellers, updateSellerStatus } from './seller.service.js';
import { MAX_IDENTIFIERS_PER_SELLER } from '../../shared/list-bounds.js';

const SellerConnection = Connection(Seller);
const UpdateSellerStatusPayload = Payload('UpdateSellerStatusPayload', 'seller', Seller);
const CreateSellerPayload = Payload('CreateSellerPayload', 'seller', Seller);
const AddSellerIdentifierPayload = Payload('AddSellerIdentifierPayload', 'identifier', SellerIdentifier);

@Resolver(() => Seller)
export class SellerResolver {
  @Authorized(...ALL_ROLES)
  @Query(() => SellerConnection, { nullable: true, description: 'Sellers you may see.' })
  sellers(
    @Args() args: ConnectionArgs,
    @Arg('filter', () => SellerFilter, { nullable: true, description: 'Only the sellers matching every field given.' })
    filter: SellerFilter | undefined,
    @Arg('orderBy', () => SellerOrder, {
      nullable: true,
      description: 'How to sort (the default is stated on the order input type).',
    })
    orderBy: SellerOrder | undefined,
    @Ctx() ctx: RequestContext,
  ): Promise<Page<Seller>> {
    return listSellers(ctx, filter, orderBy, args);
  }

  @Authorized(...CASE_WRITERS)
  @Mutation(() => UpdateSellerStatusPayload, {
    nullable: true,
    description: 'Act on a seller directly: warn, restrict, suspend, close, or lift a sanction.',
  })
  updateSellerStatus(
    @Arg('input', { description: 'The arguments of `updateSellerStatus` in one object (UpdateSellerStatusInput).' })
    input: UpdateSellerStatusInput,
    @Ctx() ctx: RequestContext,
  ): Promise<MutationPayload<Seller>> {
    return payload(() => updateSellerStatus(ctx, input));
  }

  @Authorized(...CASE_WRITERS)
  @Mutation(() => CreateSellerPayload, {
    nullable: true,
    description: 'Record a shop, with what it is known by (each identifier kept as a keyed hash and encrypted).',
  })
  createSeller(
    @Arg('input', { description: 'The arguments of `createSeller` in one object (CreateSellerInput).' })
    input: CreateSellerInput,
    @Ctx() ctx: RequestContext,
  ): Promise<MutationPayload<Seller>> {
    return payload(() => createSeller(ctx, input));
  }

  @Authorized(...CASE_WRITERS)
  @Mutation(() => AddSellerIdentifierPayload, {
    nullable: true,
    description:
      'Record something a seller is known by: kept as a keyed hash (linking) and encrypted (purpose-bound reveal).',
  })
  addSellerIdentifier(
    @Arg('input', { description: 'The arguments of `addSellerIdentifier` in one object (AddSellerIdentifierInput).' })
    input: AddSellerIdentifierInput,
    @Ctx() ctx: RequestContext,
  ): Promise<MutationPayload<SellerIdentifier>> {
    return payload(() => addSellerIdentifier(ctx, input));
  }

  @FieldResolver(() => [SellerIdentifier], {
    description: `What the seller is known by (internal roles only; empty otherwise). Raw values only through \`revealSellerIdentifiers\`. At most ${MAX_IDENTIFIERS_PER_SELLER}: addSellerIdentifier refuses more.`,
  })
  identifiers(@Root() seller: Seller, @Ctx() ctx: RequestContext): Promise<SellerIdentifier[]> {
    return loadChildren(ctx, SellerIdentifier, { column: 'seller_id' }, seller.rowId);
  }
}

@Resolver(() => SellerIdentifier)
export class SellerIdentifierResolver {
  @FieldResolver(() => String, { description: 'Keyed hash of the normalised value; masked for analysts.' })
  valueHash(@Root() identifier: SellerIdentifier, @Ctx() ctx: RequestContext): string {
    const masked = ctx.scope.kind === 'ALL' && ctx.scope.maskSensitive;
    return masked ? `${identifier.valueHash.slice(0, 8)}…` : identifier.valueHash;
  }
}
