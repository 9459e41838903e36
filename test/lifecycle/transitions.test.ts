// Every refused transition of every lifecycle mutation (leads, investigations, referrals, listings and sellers),
// through the GraphQL API: each answers one user error naming the refused transition and changes nothing (all case
// tables are compared before and after). Missing records, roles and cascades: transitions-rules.test.ts; fixtures
// and checks: transitions-support.ts.
import { dataOf } from '../support/server';
import { refused, sha } from '../support/cases';
import {
  addEvidence,
  createReferral,
  db,
  draftOnClosed,
  evidenceOf,
  except,
  expectRefused,
  inv,
  INVESTIGATION_STATES,
  investigations,
  LEAD_STATES,
  leads,
  listings,
  openInvestigation,
  outcome,
  read,
  REFERRAL_STATES,
  referrals,
  referred,
  refs,
  SELLER_STATES,
  sellers,
  server,
  world,
  useTransitionFixtures,
} from './transitions-support';

useTransitionFixtures();

// ---------------------------------------------------------------------------------------------------
// Leads
// ---------------------------------------------------------------------------------------------------

describe('lead transitions refused', () => {
  it.each(except(LEAD_STATES, 'NEW'))('triageLead from %s', async (status) => {
    await expectRefused(
      inv(),
      'triageLead',
      { leadId: leads[status], riskScore: 10, internalNotes: 'x' },
      'INVALID_TRANSITION',
      `lead ${refs[leads[status]]} from ${status} to TRIAGED`,
    );
  });

  it('closeLead from CLOSED (final)', async () => {
    await expectRefused(
      inv(),
      'closeLead',
      { leadId: leads.CLOSED, reason: 'DUPLICATE' },
      'INVALID_TRANSITION',
      `lead ${refs[leads.CLOSED]} from CLOSED to CLOSED`,
      'CLOSED is final',
    );
  });

  it.each(except(LEAD_STATES, 'TRIAGED'))(
    'openInvestigation on a lead in %s (no investigation, no reference number, no idempotency key kept)',
    async (status) => {
      await expectRefused(
        inv(),
        'openInvestigation',
        { leadIds: [leads[status]], summary: 's', idempotencyKey: `open-${status}` },
        'INVALID_TRANSITION',
        `lead ${refs[leads[status]]} from ${status} to INVESTIGATING`,
      );
    },
  );

  it('openInvestigation on a TRIAGED and a NEW lead together: all or nothing, the TRIAGED lead stays TRIAGED', async () => {
    await expectRefused(
      inv(),
      'openInvestigation',
      { leadIds: [leads.TRIAGED, leads.NEW], summary: 's' },
      'INVALID_TRANSITION',
      `lead ${refs[leads.NEW]} from NEW to INVESTIGATING`,
    );
    expect(await read(leads.TRIAGED)).toMatchObject({ status: 'TRIAGED', investigation: null });
  });

  it('openInvestigation with an analyst as assignee is INVALID', async () => {
    const analyst = dataOf(await server.gql(world.keys.analyst, '{ viewer { id } }')).viewer.id;
    await expectRefused(
      inv(),
      'openInvestigation',
      { leadIds: [leads.TRIAGED], summary: 's', assigneeId: analyst },
      'INVALID',
      'assignee',
    );
  });
});

// ---------------------------------------------------------------------------------------------------
// Investigations and evidence
// ---------------------------------------------------------------------------------------------------

describe('investigation transitions refused', () => {
  it.each(except(INVESTIGATION_STATES, 'EVIDENCE_GATHERING'))('markInvestigationReady from %s', async (status) => {
    await expectRefused(
      inv(),
      'markInvestigationReady',
      { investigationId: investigations[status] },
      'INVALID_TRANSITION',
      `investigation ${refs[investigations[status]]} from ${status} to READY_FOR_REFERRAL`,
    );
  });

  it('closeInvestigation from CLOSED (final)', async () => {
    await expectRefused(
      inv(),
      'closeInvestigation',
      { investigationId: investigations.CLOSED, reason: 'again' },
      'INVALID_TRANSITION',
      `investigation ${refs[investigations.CLOSED]} from CLOSED to CLOSED`,
      'CLOSED is final',
    );
  });

  it('addEvidence to a CLOSED investigation', async () => {
    await expectRefused(
      inv(),
      'addEvidence',
      {
        investigationId: investigations.CLOSED,
        kind: 'PHOTO',
        description: 'late',
        sha256: sha(1),
        storageKey: 's3://late',
        collectedBy: 'Li',
        collectedAt: '2026-03-01T10:00:00Z',
        idempotencyKey: 'late-evidence',
      },
      'INVALID_TRANSITION',
      refs[investigations.CLOSED],
      'closed',
    );
  });

  it('addEvidence with a sha256 the investigation already holds is DUPLICATE', async () => {
    const [{ sha256 }] = await db.dataSource.query('SELECT sha256 FROM evidence WHERE id = $1', [
      Buffer.from(evidenceOf.EVIDENCE_GATHERING, 'base64url').toString().split(':')[1],
    ]);
    await expectRefused(
      inv(),
      'addEvidence',
      {
        investigationId: investigations.EVIDENCE_GATHERING,
        kind: 'PHOTO',
        description: 'again',
        sha256,
        storageKey: 's3://again',
        collectedBy: 'Li',
        collectedAt: '2026-03-01T10:00:00Z',
      },
      'DUPLICATE',
      'sha256',
    );
  });

  it('addEvidence collected in the future is INVALID', async () => {
    await expectRefused(
      inv(),
      'addEvidence',
      {
        investigationId: investigations.OPEN,
        kind: 'PHOTO',
        description: 'future',
        sha256: sha(2),
        storageKey: 's3://f',
        collectedBy: 'Li',
        collectedAt: new Date(Date.now() + 86_400_000).toISOString(),
      },
      'INVALID',
      'collectedAt',
    );
  });

  it('recordFinding on a CLOSED investigation', async () => {
    await expectRefused(
      inv(),
      'recordFinding',
      { investigationId: investigations.CLOSED, kind: 'FACTORY', region: 'CN-ZJ', address: 'Rd 1' },
      'INVALID_TRANSITION',
      refs[investigations.CLOSED],
      'closed',
    );
  });

  it('recordFinding with a region that is not ISO 3166-2 is INVALID', async () => {
    await expectRefused(
      inv(),
      'recordFinding',
      { investigationId: investigations.OPEN, kind: 'FACTORY', region: 'Zhejiang', address: 'Rd 1' },
      'INVALID',
      'Zhejiang',
    );
  });

  it('recordCustodyTransfer to the current custodian is INVALID', async () => {
    const { custodian } = await read(evidenceOf.EVIDENCE_GATHERING);
    await expectRefused(
      inv(),
      'recordCustodyTransfer',
      { evidenceId: evidenceOf.EVIDENCE_GATHERING, toCustodian: custodian, purpose: 'none' },
      'INVALID',
      custodian,
    );
  });
});

// ---------------------------------------------------------------------------------------------------
// Referrals and outcomes
// ---------------------------------------------------------------------------------------------------

describe('referral transitions refused', () => {
  it.each(except(INVESTIGATION_STATES, 'READY_FOR_REFERRAL', 'REFERRED'))(
    'createReferral of an investigation in %s',
    async (status) => {
      const evidenceIds = [evidenceOf[status] ?? referred.evidenceId];
      await expectRefused(
        inv(),
        'createReferral',
        {
          investigationId: investigations[status],
          agencyId: world.gid.agencyX,
          evidenceIds,
          summary: 's',
          idempotencyKey: `ref-${status}`,
        },
        'INVALID_TRANSITION',
        `Investigation ${refs[investigations[status]]} is ${status}`,
      );
    },
  );

  it('createReferral disclosing evidence of another investigation is INVALID', async () => {
    await expectRefused(
      inv(),
      'createReferral',
      {
        investigationId: investigations.READY_FOR_REFERRAL,
        agencyId: world.gid.agencyX,
        evidenceIds: [referred.evidenceId],
        summary: 's',
      },
      'INVALID',
      'another investigation',
    );
  });

  it('createReferral disclosing nothing is INVALID', async () => {
    await expectRefused(
      inv(),
      'createReferral',
      {
        investigationId: investigations.READY_FOR_REFERRAL,
        agencyId: world.gid.agencyX,
        evidenceIds: [],
        summary: 's',
      },
      'INVALID',
      'evidence',
    );
  });

  it.each(except(REFERRAL_STATES, 'DRAFT'))('sendReferral from %s', async (status) => {
    await expectRefused(
      inv(),
      'sendReferral',
      { referralId: referrals[status] },
      'INVALID_TRANSITION',
      `referral ${refs[referrals[status]]} from ${status} to SENT`,
    );
  });

  it('sendReferral of a DRAFT whose investigation was closed: the referral stays DRAFT', async () => {
    await expectRefused(
      inv(),
      'sendReferral',
      { referralId: draftOnClosed.referralId },
      'INVALID_TRANSITION',
      `Investigation ${refs[draftOnClosed.investigationId]} is CLOSED`,
    );
    expect(await read(draftOnClosed.referralId)).toMatchObject({ status: 'DRAFT', sentAt: null, version: 1 });
  });

  it.each(except(REFERRAL_STATES, 'SENT'))('acknowledgeReferral from %s (by an investigator)', async (status) => {
    await expectRefused(
      inv(),
      'acknowledgeReferral',
      { referralId: referrals[status], agencyCaseReference: 'X-1' },
      'INVALID_TRANSITION',
      `referral ${refs[referrals[status]]} from ${status} to ACKNOWLEDGED`,
    );
  });

  it.each(except(REFERRAL_STATES, 'SENT', 'DRAFT'))('acknowledgeReferral from %s (by the agency)', async (status) => {
    await expectRefused(
      world.keys.agencyX,
      'acknowledgeReferral',
      { referralId: referrals[status] },
      'INVALID_TRANSITION',
      `referral ${refs[referrals[status]]} from ${status} to ACKNOWLEDGED`,
    );
  });

  it.each(except(REFERRAL_STATES, 'SENT', 'ACKNOWLEDGED'))('declineReferral from %s', async (status) => {
    const token = status === 'DRAFT' ? inv() : world.keys.agencyX;
    await expectRefused(
      token,
      'declineReferral',
      { referralId: referrals[status], reason: 'no' },
      'INVALID_TRANSITION',
      `referral ${refs[referrals[status]]} from ${status} to DECLINED`,
    );
  });

  it.each(except(REFERRAL_STATES, 'CONVICTED', 'ACQUITTED', 'DECLINED'))('closeReferral from %s', async (status) => {
    await expectRefused(
      inv(),
      'closeReferral',
      { referralId: referrals[status] },
      'INVALID_TRANSITION',
      `referral ${refs[referrals[status]]} from ${status} to CLOSED`,
    );
  });

  // An outcome moves the referral (a first action -> ACTION_TAKEN, PROSECUTION, CONVICTED, ACQUITTED); further
  // actions while action is under way or prosecuted are recorded without a move. Everything else is refused.
  const ACTIONS = ['RAID', 'ARREST', 'SEIZURE', 'FINE'];
  const OUTCOMES: Record<string, { target: string; allowedFrom: string[] }> = {
    ...Object.fromEntries(
      ACTIONS.map((kind) => [
        kind,
        { target: 'ACTION_TAKEN', allowedFrom: ['ACKNOWLEDGED', 'ACTION_TAKEN', 'PROSECUTION'] },
      ]),
    ),
    PROSECUTION: { target: 'PROSECUTION', allowedFrom: ['ACTION_TAKEN'] },
    CONVICTION: { target: 'CONVICTED', allowedFrom: ['PROSECUTION'] },
    ACQUITTAL: { target: 'ACQUITTED', allowedFrom: ['PROSECUTION'] },
  };
  const refusedOutcomes = Object.entries(OUTCOMES).flatMap(([kind, { target, allowedFrom }]) =>
    except(REFERRAL_STATES, ...(allowedFrom as (typeof REFERRAL_STATES)[number][])).map(
      (status) => [kind, status, target] as const,
    ),
  );

  it.each(refusedOutcomes)('recordEnforcementOutcome %s on a referral in %s', async (kind, status, target) => {
    const token = status === 'DRAFT' ? inv() : world.keys.agencyX;
    await expectRefused(
      token,
      'recordEnforcementOutcome',
      {
        referralId: referrals[status],
        kind,
        occurredAt: '2026-05-01T00:00:00Z',
        arrests: 1,
        convictions: kind === 'CONVICTION' ? 2 : 0,
        ...(kind === 'FINE' ? { fine: { amount: 1000, currency: 'CNY' } } : {}),
        idempotencyKey: `outcome-${kind}-${status}`,
      },
      'INVALID_TRANSITION',
      `referral ${refs[referrals[status]]} from ${status} to ${target}`,
    );
  });

  it('recordEnforcementOutcome: a CONVICTION without convictions, a FINE without amount, an outcome in the future are INVALID', async () => {
    const base = { referralId: referrals.PROSECUTION, occurredAt: '2026-05-01T00:00:00Z' };
    await expectRefused(
      world.keys.agencyX,
      'recordEnforcementOutcome',
      { ...base, kind: 'CONVICTION', convictions: 0 },
      'INVALID',
      'convictions',
    );
    await expectRefused(world.keys.agencyX, 'recordEnforcementOutcome', { ...base, kind: 'FINE' }, 'INVALID', 'fine');
    await expectRefused(
      world.keys.agencyX,
      'recordEnforcementOutcome',
      { ...base, kind: 'RAID', occurredAt: new Date(Date.now() + 86_400_000).toISOString() },
      'INVALID',
      'future',
    );
  });
});

// ---------------------------------------------------------------------------------------------------
// Listings and sellers
// ---------------------------------------------------------------------------------------------------

describe('listing and seller transitions refused', () => {
  it('takeDownListings of a TAKEN_DOWN listing', async () => {
    await expectRefused(
      inv(),
      'takeDownListings',
      { listingIds: [listings.TAKEN_DOWN], reason: 'fake' },
      'INVALID_TRANSITION',
      `listing ${listings.TAKEN_DOWN} from TAKEN_DOWN to TAKEN_DOWN`,
    );
  });

  it.each(['LIVE', 'REINSTATED'])('reinstateListing from %s', async (status) => {
    await expectRefused(
      inv(),
      'reinstateListing',
      { listingId: listings[status], reason: 'appeal' },
      'INVALID_TRANSITION',
      `listing ${listings[status]} from ${status} to REINSTATED`,
    );
  });

  // DESIGN.md plus seller.states.ts: forward along ACTIVE -> WARNED -> RESTRICTED -> SUSPENDED -> CLOSED (steps
  // may be skipped), back down from a sanction by one step or more (a partial lift); CLOSED is final.
  const SELLER_ALLOWED: Record<string, string[]> = {
    ACTIVE: ['WARNED', 'RESTRICTED', 'SUSPENDED', 'CLOSED'],
    WARNED: ['ACTIVE', 'RESTRICTED', 'SUSPENDED', 'CLOSED'],
    RESTRICTED: ['ACTIVE', 'WARNED', 'SUSPENDED', 'CLOSED'],
    SUSPENDED: ['ACTIVE', 'WARNED', 'RESTRICTED', 'CLOSED'],
    CLOSED: [],
  };
  const refusedSellerMoves = SELLER_STATES.flatMap((from) =>
    SELLER_STATES.filter((to) => !SELLER_ALLOWED[from].includes(to)).map((to) => [from, to] as const),
  );

  it.each(refusedSellerMoves)('updateSellerStatus from %s to %s', async (from, to) => {
    await expectRefused(
      inv(),
      'updateSellerStatus',
      { sellerId: sellers[from].id, status: to, reason: 'manual' },
      'INVALID_TRANSITION',
      `seller ${sellers[from].label} from ${from} to ${to}`,
    );
  });
});

// ---------------------------------------------------------------------------------------------------
// NOT_FOUND and STALE_VERSION, for every mutation that names a record
// ---------------------------------------------------------------------------------------------------
