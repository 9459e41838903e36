// Bounded lists of entities: each plain list of entities has a bound that the service
// writing it enforces (src/shared/list-bounds.ts). A write beyond the bound is refused with a user error
// naming it, and nothing is stored (checked through the owner's connection); the field's description
// states the bound. The lists are filled to their bound through the owner's connection (copies of a row
// written through the API), then one more is asked for through the API.
import { GraphQLObjectType } from 'graphql';
import { buildAppSchema } from '../../src/schema';
import {
  MAX_CUSTODY_TRANSFERS_PER_EVIDENCE,
  MAX_ESCALATIONS_PER_REFERRAL,
  MAX_EVIDENCE_PER_INVESTIGATION,
  MAX_FEEDBACK_PER_REFERRAL,
  MAX_FINDINGS_PER_INVESTIGATION,
  MAX_IDENTIFIERS_PER_SELLER,
  MAX_OUTCOMES_PER_JOINT_OPERATION,
  MAX_OUTCOMES_PER_REFERRAL,
  MAX_REFERRALS_PER_INVESTIGATION,
} from '../../src/shared/list-bounds';
import { LIST_BOUNDS } from '../../src/http/list-field-bounds';
import { buildCase, CaseIds, mutate, refused, sha } from '../support/cases';
import { MAX_TAKEDOWN_LISTINGS } from '../../src/modules/listing/listing.inputs';
import { useTestServer } from '../support/harness';

const { db, world, server } = useTestServer();
let kase: CaseIds;

beforeAll(async () => {
  kase = await buildCase(server, world, { referTo: world.gid.agencyX, tag: 'bounds' });
});

const rowId = (gid: string) => Buffer.from(gid, 'base64url').toString('utf8').split(':')[1];

/** Rows of `table` whose `column` is `parent`, counted through the owner's connection. */
async function count(table: string, column: string, parent: string): Promise<number> {
  const [row] = await db.dataSource.query(`SELECT count(*)::int AS n FROM ${table} WHERE ${column} = $1`, [parent]);
  return row.n;
}

/**
 * Copies row `sampleId` of `table` until `column = parent` holds `max` rows (owner's connection); `unique`
 * gives an SQL expression of `g` (1, 2, ...) for each column that must differ between copies.
 */
async function fillTo(
  table: string,
  sampleId: string,
  column: string,
  parent: string,
  max: number,
  unique: Record<string, string> = {},
): Promise<void> {
  const columns: string[] = (
    await db.dataSource.query(
      `SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' AND table_name = $1 AND column_name <> 'id'
       AND is_generated = 'NEVER' AND column_default IS DISTINCT FROM 'nextval' AND identity_generation IS NULL`,
      [table],
    )
  ).map((c: { column_name: string }) => c.column_name);
  const values = columns.map((c) => unique[c] ?? (c === column ? `$2::bigint` : `s.${c}`));
  const missing = max - (await count(table, column, parent));
  await db.dataSource.query(
    `INSERT INTO ${table} (${columns.join(', ')}) SELECT ${values.join(', ')} FROM ${table} s, generate_series(1, $3) g WHERE s.id = $1`,
    [sampleId, parent, missing],
  );
  expect(await count(table, column, parent)).toBe(max);
}

/** The one user error of a write beyond a bound: INVALID, naming the bound and the list. */
function expectBoundRefusal(errors: { message: string; code: string }[], max: number, items: string) {
  expect(errors).toHaveLength(1);
  expect(errors[0].code).toBe('INVALID');
  expect(errors[0].message).toContain(`holds at most ${max} ${items}: it has ${max} already`);
}

describe('a write beyond the bound of a list is refused and stores nothing', () => {
  it('referrals of an investigation', async () => {
    const investigation = rowId(kase.investigationId);
    const [sample] = await db.dataSource.query('SELECT id FROM referral WHERE investigation_id = $1', [investigation]);
    await fillTo('referral', sample.id, 'investigation_id', investigation, MAX_REFERRALS_PER_INVESTIGATION, {
      reference: `s.reference || '-' || g`,
    });
    const errors = await refused(server, world.keys.investigator, 'createReferral', {
      investigationId: kase.investigationId,
      agencyId: world.gid.agencyY,
      evidenceIds: [kase.evidenceId],
      summary: 'one too many',
    });
    expectBoundRefusal(errors, MAX_REFERRALS_PER_INVESTIGATION, 'referrals');
    expect(await count('referral', 'investigation_id', investigation)).toBe(MAX_REFERRALS_PER_INVESTIGATION);
  });

  it('evidence items of an investigation', async () => {
    const investigation = rowId(kase.investigationId);
    await fillTo(
      'evidence',
      rowId(kase.evidenceId),
      'investigation_id',
      investigation,
      MAX_EVIDENCE_PER_INVESTIGATION,
      { sha256: `md5(g::text) || md5(s.sha256)` },
    );
    const errors = await refused(server, world.keys.investigator, 'addEvidence', {
      investigationId: kase.investigationId,
      kind: 'PHOTO',
      description: 'one too many',
      sha256: sha(424242),
      storageKey: 's3://evidence/extra',
      collectedBy: 'Investigator Li',
      collectedAt: '2026-03-02T10:00:00Z',
    });
    expectBoundRefusal(errors, MAX_EVIDENCE_PER_INVESTIGATION, 'evidence items');
    expect(await count('evidence', 'investigation_id', investigation)).toBe(MAX_EVIDENCE_PER_INVESTIGATION);
  });

  it('findings of an investigation', async () => {
    const investigation = rowId(kase.investigationId);
    const input = {
      investigationId: kase.investigationId,
      kind: 'WAREHOUSE',
      region: 'CN-ZJ',
      address: 'Yiwu, lane 3',
    };
    const { finding } = await mutate(server, world.keys.investigator, 'recordFinding', input, 'finding { id }');
    await fillTo('finding', rowId(finding.id), 'investigation_id', investigation, MAX_FINDINGS_PER_INVESTIGATION);
    expectBoundRefusal(
      await refused(server, world.keys.investigator, 'recordFinding', input),
      MAX_FINDINGS_PER_INVESTIGATION,
      'findings',
    );
    expect(await count('finding', 'investigation_id', investigation)).toBe(MAX_FINDINGS_PER_INVESTIGATION);
  });

  it('outcomes of a referral, and outcomes of a joint operation', async () => {
    const referral = rowId(kase.referralId!);
    await mutate(server, world.keys.agencyX, 'acknowledgeReferral', { referralId: kase.referralId }, 'referral { id }');
    const raid = { referralId: kase.referralId, kind: 'RAID', occurredAt: new Date().toISOString() };
    const { outcome } = await mutate(server, world.keys.agencyX, 'recordEnforcementOutcome', raid, 'outcome { id }');
    await fillTo('enforcement_outcome', rowId(outcome.id), 'referral_id', referral, MAX_OUTCOMES_PER_REFERRAL);
    expectBoundRefusal(
      await refused(server, world.keys.agencyX, 'recordEnforcementOutcome', raid),
      MAX_OUTCOMES_PER_REFERRAL,
      'outcomes',
    );
    expect(await count('enforcement_outcome', 'referral_id', referral)).toBe(MAX_OUTCOMES_PER_REFERRAL);

    // A joint operation: filled to its bound with outcomes of another case, then one more is refused.
    const other = await buildCase(server, world, { referTo: world.gid.agencyX, tag: 'operation' });
    await mutate(
      server,
      world.keys.agencyX,
      'acknowledgeReferral',
      { referralId: other.referralId },
      'referral { id }',
    );
    const { outcome: first } = await mutate(
      server,
      world.keys.agencyX,
      'recordEnforcementOutcome',
      { ...raid, occurredAt: new Date().toISOString(), referralId: other.referralId },
      'outcome { id }',
    );
    const { outcome: second } = await mutate(
      server,
      world.keys.agencyX,
      'recordEnforcementOutcome',
      { ...raid, occurredAt: new Date().toISOString(), referralId: other.referralId },
      'outcome { id }',
    );
    const { operation } = await mutate(
      server,
      world.keys.investigator,
      'createJointOperation',
      {
        name: 'Operation Bound',
        outcomeIds: [first.id],
        valuationMethod: 'MARKET_PRICE',
      },
      'operation { id version }',
    );
    const operationId = rowId(operation.id);
    await fillTo('enforcement_outcome', rowId(first.id), 'operation_id', operationId, MAX_OUTCOMES_PER_JOINT_OPERATION);
    const errors = await refused(server, world.keys.investigator, 'addOutcomesToJointOperation', {
      operationId: operation.id,
      outcomeIds: [second.id],
    });
    expectBoundRefusal(errors, MAX_OUTCOMES_PER_JOINT_OPERATION, 'outcomes');
    expect(await count('enforcement_outcome', 'operation_id', operationId)).toBe(MAX_OUTCOMES_PER_JOINT_OPERATION);
    const [left] = await db.dataSource.query('SELECT operation_id FROM enforcement_outcome WHERE id = $1', [
      rowId(second.id),
    ]);
    expect(left.operation_id).toBeNull();
  });

  it('feedback and escalations of a referral', async () => {
    const referral = rowId(kase.referralId!);
    const feedback = { referralId: kase.referralId, message: 'raid planned' };
    const { feedback: written } = await mutate(
      server,
      world.keys.agencyX,
      'addReferralFeedback',
      feedback,
      'feedback { id }',
    );
    await fillTo('referral_feedback', rowId(written.id), 'referral_id', referral, MAX_FEEDBACK_PER_REFERRAL);
    expectBoundRefusal(
      await refused(server, world.keys.agencyX, 'addReferralFeedback', feedback),
      MAX_FEEDBACK_PER_REFERRAL,
      'feedback messages',
    );
    expect(await count('referral_feedback', 'referral_id', referral)).toBe(MAX_FEEDBACK_PER_REFERRAL);

    const escalation = { referralId: kase.referralId, escalatedTo: 'Bureau chief', reason: 'no news' };
    const { escalation: raised } = await mutate(
      server,
      world.keys.investigator,
      'escalateReferral',
      escalation,
      'escalation { id }',
    );
    await fillTo('referral_escalation', rowId(raised.id), 'referral_id', referral, MAX_ESCALATIONS_PER_REFERRAL);
    expectBoundRefusal(
      await refused(server, world.keys.investigator, 'escalateReferral', escalation),
      MAX_ESCALATIONS_PER_REFERRAL,
      'escalations',
    );
    expect(await count('referral_escalation', 'referral_id', referral)).toBe(MAX_ESCALATIONS_PER_REFERRAL);
  });

  it('custody transfers of an evidence item', async () => {
    const evidence = rowId(kase.evidenceId);
    const { evidence: moved } = await mutate(
      server,
      world.keys.investigator,
      'recordCustodyTransfer',
      {
        evidenceId: kase.evidenceId,
        toCustodian: 'Lab Wu',
        purpose: 'testing',
      },
      'evidence { id version }',
    );
    await fillTo(
      'custody_transfer',
      (await db.dataSource.query('SELECT id FROM custody_transfer WHERE evidence_id = $1', [evidence]))[0].id,
      'evidence_id',
      evidence,
      MAX_CUSTODY_TRANSFERS_PER_EVIDENCE,
    );
    const errors = await refused(server, world.keys.investigator, 'recordCustodyTransfer', {
      evidenceId: kase.evidenceId,
      toCustodian: 'Store Zhao',
      purpose: 'storage',
      expectedVersion: moved.version,
    });
    expectBoundRefusal(errors, MAX_CUSTODY_TRANSFERS_PER_EVIDENCE, 'custody transfers');
    expect(await count('custody_transfer', 'evidence_id', evidence)).toBe(MAX_CUSTODY_TRANSFERS_PER_EVIDENCE);
    const [item] = await db.dataSource.query('SELECT custodian, version FROM evidence WHERE id = $1', [evidence]);
    expect(item).toEqual({ custodian: 'Lab Wu', version: moved.version });
  });

  it('identifiers of a seller', async () => {
    const seller = world.ids.sellerA;
    await fillTo('seller_identifier', world.ids.identifierA, 'seller_id', seller, MAX_IDENTIFIERS_PER_SELLER, {
      value_hash: `md5(g::text) || md5(s.value_hash)`,
    });
    const errors = await refused(server, world.keys.investigator, 'addSellerIdentifier', {
      sellerId: world.gid.sellerA,
      kind: 'EMAIL',
      value: 'one.too@many.example',
    });
    expectBoundRefusal(errors, MAX_IDENTIFIERS_PER_SELLER, 'identifiers');
    expect(await count('seller_identifier', 'seller_id', seller)).toBe(MAX_IDENTIFIERS_PER_SELLER);
  });
});

describe('the bounds are stated where clients read them', () => {
  const stated: Record<string, number> = {
    'Investigation.referrals': MAX_REFERRALS_PER_INVESTIGATION,
    'Investigation.evidence': MAX_EVIDENCE_PER_INVESTIGATION,
    'Investigation.findings': MAX_FINDINGS_PER_INVESTIGATION,
    'Investigation.feedback': MAX_REFERRALS_PER_INVESTIGATION * MAX_FEEDBACK_PER_REFERRAL,
    'Investigation.escalations': MAX_REFERRALS_PER_INVESTIGATION * MAX_ESCALATIONS_PER_REFERRAL,
    'Referral.outcomes': MAX_OUTCOMES_PER_REFERRAL,
    'Referral.feedback': MAX_FEEDBACK_PER_REFERRAL,
    'Referral.escalations': MAX_ESCALATIONS_PER_REFERRAL,
    'Referral.disclosedEvidence': 100,
    'Evidence.custodyTransfers': MAX_CUSTODY_TRANSFERS_PER_EVIDENCE,
    'Seller.identifiers': MAX_IDENTIFIERS_PER_SELLER,
    'SellerIdentifierDisclosure.identifiers': MAX_IDENTIFIERS_PER_SELLER,
    'JointOperation.outcomes': MAX_OUTCOMES_PER_JOINT_OPERATION,
    'Lead.sellers': 100,
    'TakeDownListingsPayload.listings': MAX_TAKEDOWN_LISTINGS,
    'OffendingNetwork.sellers': 20,
  };

  it('in the description of each bounded list field, with the bound the cost model uses', async () => {
    const schema = await buildAppSchema();
    for (const [key, max] of Object.entries(stated)) {
      const [type, field] = key.split('.');
      const description = (schema.getType(type) as GraphQLObjectType).getFields()[field].description ?? '';
      expect({ key, states: description.toLowerCase().includes(`at most ${max}`) }).toEqual({ key, states: true });
      expect({ key, priced: LIST_BOUNDS[key]?.max, assumed: LIST_BOUNDS[key]?.assumed }).toEqual({
        key,
        priced: max,
        assumed: undefined,
      });
    }
  });
});
