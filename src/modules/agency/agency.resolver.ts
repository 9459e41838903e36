import { Arg, Args, Authorized, Ctx, Field, InputType, Query, Resolver, registerEnumType } from 'type-graphql';
import { ALL_ROLES } from '../../shared/auth/role.js';
import type { RequestContext } from '../../shared/context.js';
import { whereIn } from '../../shared/data-access/filters.js';
import { scopedQuery } from '../../shared/data-access/scoped-query.js';
import { Connection, ConnectionArgs, OrderDirection, Page } from '../../shared/relay/connection.js';
import { paginate } from '../../shared/relay/keyset-paging.js';
import { OrderByInput, SortColumn, toOrdering } from '../../shared/relay/ordering.js';
import { Agency, AgencyKind } from './agency.entity.js';

@InputType({ description: 'Narrows a list of agencies; every field given must match.' })
export class AgencyFilter {
  @Field(() => [AgencyKind], { nullable: true, description: 'Agencies of any of these kinds.' })
  kind?: AgencyKind[];

  @Field(() => [String], { nullable: true, description: 'Jurisdiction codes, e.g. ["CN-ZJ"].' })
  jurisdiction?: string[];
}

export enum AgencyOrderField {
  NAME = 'NAME',
  CREATED_AT = 'CREATED_AT',
}
registerEnumType(AgencyOrderField, {
  name: 'AgencyOrderField',
  valuesConfig: {
    CREATED_AT: { description: 'When the agency was recorded.' },
    NAME: { description: "The agency's name." },
  },
  description: 'What a list of agencies is sorted by.',
});
const agencySortColumns: Record<AgencyOrderField, SortColumn> = {
  NAME: { column: 'name', property: 'name' },
  CREATED_AT: { column: 'created_at', property: 'createdAt' },
};
const AGENCY_DEFAULT_ORDER = { field: AgencyOrderField.NAME, direction: OrderDirection.ASC };
const AgencyOrder = OrderByInput(
  'AgencyOrder',
  AgencyOrderField,
  AGENCY_DEFAULT_ORDER.field,
  AGENCY_DEFAULT_ORDER.direction,
);
type AgencyOrder = InstanceType<typeof AgencyOrder>;

const AgencyConnection = Connection(Agency);

@Resolver(() => Agency)
export class AgencyResolver {
  @Authorized(...ALL_ROLES)
  @Query(() => AgencyConnection, {
    nullable: true,
    description: 'Agencies that receive referrals (public bodies: visible to every caller).',
  })
  agencies(
    @Args() args: ConnectionArgs,
    @Arg('filter', () => AgencyFilter, { nullable: true, description: 'Only the agencies matching every field given.' })
    filter: AgencyFilter | undefined,
    @Arg('orderBy', () => AgencyOrder, {
      nullable: true,
      description: 'How to sort (the default is stated on the order input type).',
    })
    orderBy: AgencyOrder | undefined,
    @Ctx() ctx: RequestContext,
  ): Promise<Page<Agency>> {
    const qb = scopedQuery(ctx, Agency);
    whereIn(qb, 'kind', filter?.kind);
    whereIn(qb, 'jurisdiction', filter?.jurisdiction);
    return paginate(ctx, 'agencies', qb, toOrdering(agencySortColumns, orderBy, AGENCY_DEFAULT_ORDER), args);
  }
}
