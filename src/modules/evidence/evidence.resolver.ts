import { Arg, Authorized, Ctx, FieldResolver, Mutation, Resolver, Root } from 'type-graphql';
import { CASE_WRITERS } from '../../shared/auth/role.js';
import type { RequestContext } from '../../shared/context.js';
import { loadById, loadChildren } from '../../shared/data-access/scoped-query.js';
import { compilable } from '../../shared/data-access/selection-sql.js';
import { MutationPayload, Payload, payload } from '../../shared/user-error.js';
import { Investigation } from '../investigation/investigation.entity.js';
import { CustodyTransfer } from './custody-transfer.entity.js';
import { Evidence } from './evidence.entity.js';
import { AddEvidenceInput, RecordCustodyTransferInput } from './evidence.inputs.js';
import { addEvidence, recordCustodyTransfer } from './evidence.service.js';
import { MAX_CUSTODY_TRANSFERS_PER_EVIDENCE, MAX_EVIDENCE_PER_INVESTIGATION } from '../../shared/list-bounds.js';

const AddEvidencePayload = Payload('AddEvidencePayload', 'evidence', Evidence);
const RecordCustodyTransferPayload = Payload('RecordCustodyTransferPayload', 'evidence', Evidence);

@Resolver(() => Evidence)
export class EvidenceResolver {
  @Authorized(...CASE_WRITERS)
  @Mutation(() => AddEvidencePayload, { nullable: true, description: 'Add an evidence item to an investigation.' })
  addEvidence(
    @Arg('input', { description: 'The arguments of `addEvidence` in one object (AddEvidenceInput).' })
    input: AddEvidenceInput,
    @Ctx() ctx: RequestContext,
  ): Promise<MutationPayload<Evidence>> {
    return payload(() => addEvidence(ctx, input));
  }

  @Authorized(...CASE_WRITERS)
  @Mutation(() => RecordCustodyTransferPayload, {
    nullable: true,
    description: 'Record that an evidence item changed hands.',
  })
  recordCustodyTransfer(
    @Arg('input', {
      description: 'The arguments of `recordCustodyTransfer` in one object (RecordCustodyTransferInput).',
    })
    input: RecordCustodyTransferInput,
    @Ctx() ctx: RequestContext,
  ): Promise<MutationPayload<Evidence>> {
    return payload(() => recordCustodyTransfer(ctx, input));
  }

  @FieldResolver(() => String, { description: 'Where the file is stored; masked for analysts.' })
  storageKey(@Root() evidence: Evidence, @Ctx() ctx: RequestContext): string {
    return ctx.scope.kind === 'ALL' && ctx.scope.maskSensitive ? '(masked)' : evidence.storageKey;
  }

  @FieldResolver(() => [CustodyTransfer], {
    description: `Every hand-over, oldest first. At most ${MAX_CUSTODY_TRANSFERS_PER_EVIDENCE} per item: recordCustodyTransfer refuses more.`,
  })
  custodyTransfers(@Root() evidence: Evidence, @Ctx() ctx: RequestContext): Promise<CustodyTransfer[]> {
    return loadChildren(ctx, CustodyTransfer, { column: 'evidence_id' }, evidence.rowId);
  }

  @FieldResolver(() => Investigation, {
    nullable: true,
    description: 'The investigation it belongs to (null when you may not see it).',
  })
  investigation(@Root() evidence: Evidence, @Ctx() ctx: RequestContext): Promise<Investigation | null> {
    return loadById(ctx, Investigation, evidence.investigationId);
  }
}

// `Investigation.evidence`, for a selection compiled into one statement (src/shared/data-access/selection-sql.ts).
compilable(Investigation, { evidence: { kind: 'many', entity: Evidence, link: { column: 'investigation_id' } } });

/** `Investigation.evidence`: a link between two modules lives in the higher one (README, "Architecture"). */
@Resolver(() => Investigation)
export class InvestigationEvidenceResolver {
  @FieldResolver(() => [Evidence], {
    description: `Evidence items (an agency: those disclosed to it). At most ${MAX_EVIDENCE_PER_INVESTIGATION}: addEvidence refuses more.`,
  })
  evidence(@Root() investigation: Investigation, @Ctx() ctx: RequestContext): Promise<Evidence[]> {
    return loadChildren(ctx, Evidence, { column: 'investigation_id' }, investigation.rowId);
  }
}
