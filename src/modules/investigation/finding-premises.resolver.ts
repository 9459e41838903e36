import { Args, Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import type { RequestContext } from '../../shared/context.js';
import { loadById, loadChildren } from '../../shared/data-access/scoped-query.js';
import { Connection, ConnectionArgs, Page } from '../../shared/relay/connection.js';
import { Premises } from '../premises/premises.entity.js';
import { Finding } from './finding.entity.js';
import { findingsAt } from './finding-premises.service.js';

const FindingConnection = Connection(Finding);

/** The premises' findings: a link between two modules lives in the higher one (README, "Architecture"). */
@Resolver(() => Premises)
export class PremisesFindingResolver {
  @FieldResolver(() => [Finding], {
    description: 'Findings of investigations that located these premises (that you may see): every one, however many.',
    deprecationReason:
      'Unbounded (every investigation that finds the place adds one): use `findingsConnection`, which pages.',
  })
  findings(@Root() premises: Premises, @Ctx() ctx: RequestContext): Promise<Finding[]> {
    return loadChildren(ctx, Finding, { column: 'premises_id' }, premises.rowId);
  }

  @FieldResolver(() => FindingConnection, {
    description:
      'Findings of investigations that located these premises, that you may see, oldest first, a page at a time.',
  })
  findingsConnection(
    @Root() premises: Premises,
    @Args() args: ConnectionArgs,
    @Ctx() ctx: RequestContext,
  ): Promise<Page<Finding>> {
    return findingsAt(ctx, premises.rowId, args);
  }
}

@Resolver(() => Finding)
export class FindingPremisesResolver {
  @FieldResolver(() => Premises, { nullable: true, description: 'The registered premises this finding located.' })
  premises(@Root() finding: Finding, @Ctx() ctx: RequestContext): Promise<Premises | null> | null {
    return finding.premisesId ? loadById(ctx, Premises, finding.premisesId) : null;
  }
}
