import { toGlobalId } from '../../src/shared/relay/global-id';
import { buildCase, sha } from '../support/cases';
import { TestHarness } from '../support/harness';
import { MutationFaultFixtures, Spec } from './mutation-fault-fixtures';

// The cases of test/data-access/mutation-faults.test.ts for the mutations of a case: leads, investigations, referrals.
export function caseMutationSpecs({ world, server }: TestHarness, fixtures: MutationFaultFixtures): Spec[] {
  const { rid, lit, call, reported, triaged, opened, raisedMatch, principal, referralSpec } = fixtures;
  return [
    {
      name: 'reportLead',
      token: 'brandA',
      selection: 'lead { id reference version status description sellers { id displayName } }',
      setup: async (m) => ({
        input: { description: m, sellerIds: [world.gid.sellerA], idempotencyKey: m },
        fault: ['seller', world.ids.sellerA],
        armed: ['lead', `description = ${lit(m)}`],
        facts: [
          [
            `SELECT l.status, s.seller_id::text FROM lead l JOIN lead_seller s ON s.lead_id = l.id WHERE l.description = ${lit(m)}`,
            [{ status: 'NEW', seller_id: world.ids.sellerA }],
          ],
        ],
      }),
    },
    // Two items, one chunk: kept together as answered, or (the chunk failed) neither; results per item.
    {
      name: 'reportLeads',
      token: 'brandA',
      selection:
        'results { index outcome lead { id reference version status description sellers { id displayName } } userErrors { code } }',
      setup: async (m) => ({
        input: {
          items: [1, 2].map((n) => ({
            description: `${m}-${n}`,
            sellerIds: [world.gid.sellerA],
            idempotencyKey: `${m}-${n}`,
          })),
        },
        fault: ['seller', world.ids.sellerA],
        armed: ['lead', `description = ${lit(`${m}-1`)}`],
        facts: [
          [
            `SELECT l.description, s.seller_id::text FROM lead l JOIN lead_seller s ON s.lead_id = l.id WHERE l.description LIKE ${lit(`${m}-%`)} ORDER BY 1`,
            [1, 2].map((n) => ({ description: `${m}-${n}`, seller_id: world.ids.sellerA })),
          ],
        ],
        verify: (payload, problems) => {
          const outcomes = payload.results.map((r: { outcome: string }) => r.outcome);
          if (outcomes.join() !== 'CREATED,CREATED') problems.push(`reportLeads: outcomes ${outcomes.join()}`);
        },
      }),
    },
    // The lead a repeat-offender match raised (Lead.reportedBy would be the nullable relation of any lead, but
    // principal has no row-level security, so no fault can be injected there).
    {
      name: 'triageLead',
      token: 'investigator',
      selection: 'lead { id reference status version riskScore repeatOffenderMatch { id status } }',
      setup: async (m) => {
        const match = await raisedMatch(m);
        return {
          input: { leadId: toGlobalId('Lead', match.lead_id), riskScore: 77, idempotencyKey: m },
          fault: ['repeat_offender_match', match.id],
          armed: ['lead', `id = ${match.lead_id} AND status = 'TRIAGED'`],
          facts: [
            [
              `SELECT status, risk_score FROM lead WHERE id = ${match.lead_id}`,
              [{ status: 'TRIAGED', risk_score: 77 }],
            ],
          ],
        };
      },
    },
    {
      name: 'closeLead',
      token: 'investigator',
      selection: 'lead { id status version closeReason closeNote sellers { id } }',
      setup: async (m) => {
        const l = await reported(m);
        return {
          input: { leadId: l, reason: 'DUPLICATE', note: m, idempotencyKey: m },
          fault: ['seller', world.ids.sellerA],
          armed: ['lead', `id = ${rid(l)} AND status = 'CLOSED'`],
          facts: [
            [
              `SELECT status, close_reason FROM lead WHERE id = ${rid(l)}`,
              [{ status: 'CLOSED', close_reason: 'DUPLICATE' }],
            ],
          ],
        };
      },
    },
    {
      name: 'openInvestigation',
      token: 'investigator',
      selection: 'investigation { id reference status version summary leads(first: 5) { nodes { id status } } }',
      setup: async (m) => {
        const l = await triaged(m);
        return {
          input: { leadIds: [l], summary: m, idempotencyKey: m },
          fault: ['lead', rid(l)],
          armed: ['investigation', `summary = ${lit(m)}`],
          facts: [
            [
              `SELECT i.status, l.status AS lead_status FROM investigation i JOIN lead l ON l.investigation_id = i.id WHERE i.summary = ${lit(m)}`,
              [{ status: 'OPEN', lead_status: 'INVESTIGATING' }],
            ],
          ],
        };
      },
    },
    {
      name: 'addEvidence',
      token: 'investigator',
      selection: 'evidence { id sha256 custodian description version investigation { id status } }',
      setup: async (m) => {
        const c = await opened(m, false);
        return {
          input: {
            investigationId: c.investigationId,
            kind: 'PHOTO',
            description: m,
            sha256: sha(Math.floor(Math.random() * 1e12)),
            storageKey: `s3://e/${m}`,
            collectedBy: 'Li',
            collectedAt: '2026-03-01T10:00:00Z',
            idempotencyKey: m,
          },
          fault: ['investigation', rid(c.investigationId)],
          armed: ['evidence', `description = ${lit(m)}`],
          facts: [
            [
              `SELECT e.custodian, i.status FROM evidence e JOIN investigation i ON i.id = e.investigation_id WHERE e.description = ${lit(m)}`,
              [{ custodian: 'Li', status: 'EVIDENCE_GATHERING' }],
            ],
          ],
        };
      },
    },
    {
      name: 'recordCustodyTransfer',
      token: 'investigator',
      selection: 'evidence { id custodian version custodyTransfers { id toCustodian purpose } investigation { id } }',
      setup: async (m) => {
        const c = await opened(m, true);
        return {
          input: { evidenceId: c.evidenceId, toCustodian: m, purpose: 'lab analysis', idempotencyKey: m },
          fault: ['investigation', rid(c.investigationId)],
          armed: ['evidence', `custodian = ${lit(m)}`],
          facts: [
            [
              `SELECT count(*)::int AS n FROM custody_transfer t JOIN evidence e ON e.id = t.evidence_id WHERE e.custodian = ${lit(m)} AND t.to_custodian = ${lit(m)}`,
              [{ n: 1 }],
            ],
          ],
        };
      },
    },
    // The hand-over is answered from the change's own read (its agency is public, not faultable): no nested path
    // reads a faultable row after the commit. The fault is on the evidence row, which the agency's scope of the
    // transfer reads during the change, armed once it is acknowledged; only the later field (b) fails after it.
    {
      name: 'acknowledgeCustodyTransfer',
      token: 'agencyX',
      payloadReads: false,
      selection: 'custodyTransfer { id acknowledgement acknowledgedAt }',
      setup: async (m) => {
        const c = await buildCase(server, world, { referTo: world.gid.agencyX, tag: m });
        const { evidence } = await call(
          'investigator',
          'recordCustodyTransfer',
          { evidenceId: c.evidenceId, toCustodian: m, toAgencyId: world.gid.agencyX, purpose: 'to the agency' },
          'evidence { custodyTransfers { id } }',
        );
        const transferId: string = evidence.custodyTransfers[0].id;
        const t = rid(transferId);
        return {
          input: { custodyTransferId: transferId, idempotencyKey: m },
          fault: ['evidence', rid(c.evidenceId)],
          armed: ['custody_transfer', `id = ${t} AND acknowledged_at IS NOT NULL`],
          facts: [
            [
              `SELECT count(*)::int AS n FROM custody_transfer WHERE id = ${t} AND acknowledged_at IS NOT NULL AND acknowledged_by_id IS NOT NULL`,
              [{ n: 1 }],
            ],
          ],
        };
      },
    },
    {
      name: 'recordFinding',
      token: 'investigator',
      selection: 'finding { id kind region address premises { id address } }',
      setup: async (m) => {
        const c = await opened(m, false);
        const p = (
          await call(
            'investigator',
            'registerPremises',
            { kind: 'WAREHOUSE', region: 'CN-ZJ', address: `premises ${m}` },
            'premises { id }',
          )
        ).premises.id;
        return {
          input: {
            investigationId: c.investigationId,
            kind: 'WAREHOUSE',
            region: 'CN-ZJ',
            address: m,
            premisesId: p,
            idempotencyKey: m,
          },
          fault: ['premises', rid(p)],
          armed: ['finding', `address = ${lit(m)}`],
          facts: [[`SELECT premises_id::text FROM finding WHERE address = ${lit(m)}`, [{ premises_id: rid(p) }]]],
        };
      },
    },
    {
      name: 'markInvestigationReady',
      token: 'investigator',
      selection: 'investigation { id status version evidence { id custodian } }',
      setup: async (m) => {
        const c = await opened(m, true);
        const i = rid(c.investigationId);
        return {
          input: { investigationId: c.investigationId, idempotencyKey: m },
          fault: ['evidence', rid(c.evidenceId!)],
          armed: ['investigation', `id = ${i} AND status = 'READY_FOR_REFERRAL'`],
          facts: [[`SELECT status FROM investigation WHERE id = ${i}`, [{ status: 'READY_FOR_REFERRAL' }]]],
        };
      },
    },
    {
      name: 'closeInvestigation',
      token: 'investigator',
      selection: 'investigation { id status version closeReason leads(first: 5) { nodes { id status } } }',
      setup: async (m) => {
        const c = await opened(m, false);
        const i = rid(c.investigationId);
        return {
          input: { investigationId: c.investigationId, reason: m, idempotencyKey: m },
          fault: ['lead', rid(c.leadId)],
          armed: ['investigation', `id = ${i} AND status = 'CLOSED'`],
          facts: [
            [
              `SELECT i.close_reason, l.status AS lead_status FROM investigation i JOIN lead l ON l.investigation_id = i.id WHERE i.id = ${i} AND i.status = 'CLOSED'`,
              [{ close_reason: m, lead_status: 'CLOSED' }],
            ],
          ],
        };
      },
    },
    {
      name: 'createReferral',
      token: 'investigator',
      selection: 'referral { id reference status version summary investigation { id status } }',
      setup: async (m) => {
        const c = await buildCase(server, world, { tag: m });
        return {
          input: {
            investigationId: c.investigationId,
            agencyId: world.gid.agencyX,
            evidenceIds: [c.evidenceId],
            summary: m,
            idempotencyKey: m,
          },
          fault: ['investigation', rid(c.investigationId)],
          armed: ['referral', `summary = ${lit(m)}`],
          facts: [
            [
              `SELECT r.status, e.evidence_id::text FROM referral r JOIN referral_evidence e ON e.referral_id = r.id WHERE r.summary = ${lit(m)}`,
              [{ status: 'DRAFT', evidence_id: rid(c.evidenceId) }],
            ],
          ],
        };
      },
    },
    referralSpec('sendReferral', 'investigator', 'SENT', (referralId) => ({ referralId }), null, undefined, false),
    referralSpec(
      'acknowledgeReferral',
      'agencyX',
      'ACKNOWLEDGED',
      (referralId, m) => ({ referralId, agencyCaseReference: m }),
      'agency_case_reference',
    ),
    referralSpec(
      'declineReferral',
      'agencyX',
      'DECLINED',
      (referralId, m) => ({ referralId, reason: m }),
      'decline_reason',
    ),
    referralSpec(
      'closeReferral',
      'investigator',
      'CLOSED',
      (referralId) => ({ referralId }),
      null,
      (referralId) => call('agencyX', 'declineReferral', { referralId, reason: 'no' }, 'referral { id }'),
    ),
    {
      name: 'recordEnforcementOutcome',
      token: 'agencyX',
      selection: 'outcome { id kind arrests occurredAt referral { id status version } }',
      setup: async (m) => {
        const c = await buildCase(server, world, { referTo: world.gid.agencyX, tag: m });
        await call('agencyX', 'acknowledgeReferral', { referralId: c.referralId }, 'referral { id }');
        return {
          input: {
            referralId: c.referralId,
            kind: 'RAID',
            occurredAt: new Date().toISOString(),
            arrests: 3,
            notes: m,
            idempotencyKey: m,
          },
          fault: ['referral', rid(c.referralId!)],
          armed: ['enforcement_outcome', `notes = ${lit(m)}`],
          facts: [
            [
              `SELECT o.kind, o.arrests, r.status FROM enforcement_outcome o JOIN referral r ON r.id = o.referral_id WHERE o.notes = ${lit(m)}`,
              [{ kind: 'RAID', arrests: 3, status: 'ACTION_TAKEN' }],
            ],
          ],
        };
      },
    },
    {
      name: 'escalateReferral',
      token: 'investigator',
      selection: 'escalation { id escalatedTo reason referral { id status } }',
      setup: async (m) => {
        const c = await buildCase(server, world, { referTo: world.gid.agencyX, tag: m });
        return {
          input: { referralId: c.referralId, escalatedTo: m, reason: 'no answer', idempotencyKey: m },
          fault: ['referral', rid(c.referralId!)],
          armed: ['referral_escalation', `escalated_to = ${lit(m)}`],
          facts: [
            [
              `SELECT referral_id::text FROM referral_escalation WHERE escalated_to = ${lit(m)}`,
              [{ referral_id: rid(c.referralId!) }],
            ],
          ],
        };
      },
    },
    {
      name: 'addReferralFeedback',
      token: 'agencyX',
      selection: 'feedback { id message referral { id status } }',
      setup: async (m) => {
        const c = await buildCase(server, world, { referTo: world.gid.agencyX, tag: m });
        return {
          input: { referralId: c.referralId, message: m, idempotencyKey: m },
          fault: ['referral', rid(c.referralId!)],
          armed: ['referral_feedback', `message = ${lit(m)}`],
          facts: [
            [
              `SELECT referral_id::text FROM referral_feedback WHERE message = ${lit(m)}`,
              [{ referral_id: rid(c.referralId!) }],
            ],
          ],
        };
      },
    },
  ];
}
