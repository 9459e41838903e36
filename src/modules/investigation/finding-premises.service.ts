import { RequestContext } from '../../shared/context.js';
import { ConnectionArgs, loadChildPage, OrderDirection } from '../../shared/relay/connection.js';
import { Finding } from './finding.entity.js';

const FINDINGS_AT_ORDERING = {
  key: 'CREATED_AT',
  column: 'created_at',
  property: 'createdAt',
  direction: OrderDirection.ASC,
};

/** The findings that located one premises, that the caller may see, oldest first, a page at a time. */
export function findingsAt(ctx: RequestContext, premisesId: string, args: ConnectionArgs) {
  return loadChildPage<Finding>(ctx, {
    entity: Finding,
    link: { column: 'premises_id' },
    parentId: premisesId,
    ordering: FINDINGS_AT_ORDERING,
    args,
  });
}
