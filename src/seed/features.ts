import { EntityManager } from 'typeorm';
import { AuditConfig } from '../shared/config.js';
import { Lead } from '../modules/lead/lead.entity.js';
import { leadSnapshot } from '../modules/lead/lead.service.js';
import { LeadSource, LeadStatus } from '../modules/lead/lead.states.js';
import { RepeatOffenderMatch } from '../modules/repeat-offender/repeat-offender-match.entity.js';
import { MATCH_RISK_SCORE, matchSnapshot } from '../modules/repeat-offender/repeat-offender-match.service.js';
import { PriorOffence, RepeatOffenderMatchStatus } from '../modules/repeat-offender/repeat-offender-match.states.js';
import { nextReference, ReferencePrefix } from '../shared/reference.js';
import { appendSeededEvents, SeededEvent } from './seed-audit.js';

/**
 * The closing-the-loop case features over the seeded history, in SQL, deterministic from the rows already
 * written (the referrals' deadlines, escalations and feedback come with them: plan-referrals.ts,
 * plan-follow-ups.ts): premises, joint operations and repeat-offender matches.
 */
export interface FeatureCounts {
  premises: number;
  jointOperations: number;
  repeatOffenderMatches: number;
}

const NORMALISED = (column: string) => `lower(regexp_replace(btrim(${column}), '\\s+', ' ', 'g'))`;

export async function seedCaseFeatures(db: EntityManager, now: number, audit: AuditConfig): Promise<FeatureCounts> {
  // Premises: every distinct address of the findings (insert-cases.ts has a quarter of them at an earlier
  // finding's address) is registered once, its findings linked, and the raids, seizures and arrests on a
  // referral placed at the premises of the first finding of its investigation (with the region, which brand
  // partners see).
  const premises: unknown[] = await db.query(`
    INSERT INTO premises (created_at, kind, region, address)
    SELECT DISTINCT ON (region, ${NORMALISED('address')}) created_at, kind, region, address FROM finding ORDER BY region, ${NORMALISED('address')}, id
    RETURNING id`);
  await db.query(
    `UPDATE finding f SET premises_id = p.id FROM premises p WHERE p.region = f.region AND ${NORMALISED('p.address')} = ${NORMALISED('f.address')}`,
  );
  await db.query(`
    UPDATE enforcement_outcome o SET premises_id = first.premises_id, region = first.region
    FROM referral r,
         (SELECT DISTINCT ON (investigation_id) investigation_id, premises_id, region FROM finding ORDER BY investigation_id, id) first
    WHERE r.id = o.referral_id AND first.investigation_id = r.investigation_id AND o.kind IN ('RAID', 'SEIZURE', 'ARREST')`);
  const jointOperations = await seedJointOperations(db);
  const repeatOffenderMatches = await seedRepeatOffenderMatches(db, now, audit);
  return {
    premises: premises.length,
    jointOperations,
    repeatOffenderMatches,
  };
}

/** The next reference of a prefix, through the sequence the API uses (reference.ts). */
function reference(db: EntityManager, prefix: ReferencePrefix, at: Date): Promise<string> {
  return nextReference({ db }, prefix, at);
}

/**
 * Joint operations: seizures by two different agencies in the same region within a week of each other
 * (every third such pair) were one operation; its agreed value is the larger of the two figures.
 */
async function seedJointOperations(db: EntityManager): Promise<number> {
  const pairs: { a: string; b: string; amount: string; currency: string; at: Date; region: string }[] = await db.query(`
    SELECT x.a::text, x.b::text, x.amount::text, x.currency, x.at, x.region FROM (
      SELECT o.id AS a, lead(o.id) OVER w AS b, greatest(o.seized_value_amount, lead(o.seized_value_amount) OVER w) AS amount,
             o.seized_value_currency AS currency, lead(o.seized_value_currency) OVER w AS currency_b, o.occurred_at AS at,
             lead(o.occurred_at) OVER w AS at_b, r.agency_id, lead(r.agency_id) OVER w AS agency_b, o.region, row_number() OVER w AS n
      FROM enforcement_outcome o JOIN referral r ON r.id = o.referral_id
      WHERE o.kind = 'SEIZURE' AND o.seized_value_amount IS NOT NULL AND o.region IS NOT NULL
      WINDOW w AS (PARTITION BY o.region ORDER BY o.occurred_at, o.id)) x
    WHERE x.b IS NOT NULL AND x.n % 3 = 1 AND x.currency = x.currency_b AND x.agency_id <> x.agency_b AND x.at_b < x.at + interval '7 days'
    ORDER BY x.a`);
  for (const pair of pairs) {
    const [{ id }] = await db.query(
      `INSERT INTO joint_operation (created_at, reference, name, seized_value_amount, seized_value_currency, valuation_method, valuation_note)
       VALUES ($1, $2, $3, $4, $5, 'MARKET_PRICE', 'Agreed between the agencies: the larger of their two figures') RETURNING id`,
      [
        pair.at,
        await reference(db, 'OP', pair.at),
        `Joint operation ${pair.region} ${pair.at.toISOString().slice(0, 10)}`,
        pair.amount,
        pair.currency,
      ],
    );
    await db.query(`UPDATE enforcement_outcome SET operation_id = $1 WHERE id IN ($2, $3)`, [id, pair.a, pair.b]);
  }
  return pairs.length;
}

/**
 * Repeat-offender matches: active sellers known by an identifier of a closed seller (at most 20), each with
 * its NEW lead naming both, as the repeat-offender sweep raises them at the end of the seeded history, with
 * their audit events (lead.reported, repeatOffenderMatch.raised).
 */
async function seedRepeatOffenderMatches(db: EntityManager, now: number, audit: AuditConfig): Promise<number> {
  const at = new Date(now);
  const events: SeededEvent[] = [];
  const pairs: { seller: string; prior: string; kinds: string[]; name: string; prior_name: string }[] = await db.query(`
    SELECT DISTINCT ON (s.id) s.id::text AS seller, p.id::text AS prior, k.kinds, s.platform || '/' || s.external_id AS name, p.platform || '/' || p.external_id AS prior_name
    FROM seller s
    JOIN seller_identifier si ON si.seller_id = s.id
    JOIN seller_identifier pi ON pi.kind = si.kind AND pi.value_hash = si.value_hash AND pi.seller_id <> s.id
    JOIN seller p ON p.id = pi.seller_id AND p.status = 'CLOSED'
    CROSS JOIN LATERAL (SELECT array_agg(DISTINCT a.kind ORDER BY a.kind) AS kinds FROM seller_identifier a
                        JOIN seller_identifier b ON b.kind = a.kind AND b.value_hash = a.value_hash WHERE a.seller_id = s.id AND b.seller_id = p.id) k
    WHERE s.status = 'ACTIVE' AND NOT EXISTS (SELECT 1 FROM repeat_offender_match m WHERE LEAST(m.seller_id, m.prior_seller_id) = LEAST(s.id, p.id) AND GREATEST(m.seller_id, m.prior_seller_id) = GREATEST(s.id, p.id))
    ORDER BY s.id, p.id
    LIMIT 20`);
  let raised = 0;
  for (const pair of pairs) {
    // The pair in the other order was raised already (both active and closed sides can meet twice).
    const [exists] = await db.query(
      `SELECT 1 FROM repeat_offender_match WHERE LEAST(seller_id, prior_seller_id) = LEAST($1::bigint, $2::bigint) AND GREATEST(seller_id, prior_seller_id) = GREATEST($1::bigint, $2::bigint)`,
      [pair.seller, pair.prior],
    );
    if (exists) continue;
    const leadReference = await reference(db, 'LD', at);
    const [{ id: leadId }] = await db.query(
      `INSERT INTO lead (created_at, reference, source, description, risk_score, status) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id::text`,
      [
        at,
        leadReference,
        LeadSource.REPEAT_OFFENDER_MATCH,
        `Repeat offender: ${pair.name} shares ${pair.kinds.join(', ')} with ${pair.prior_name}, closed.`,
        MATCH_RISK_SCORE,
        LeadStatus.NEW,
      ],
    );
    await db.query(`INSERT INTO lead_seller (lead_id, seller_id) VALUES ($1, $2), ($1, $3)`, [
      leadId,
      pair.seller,
      pair.prior,
    ]);
    const [{ id: matchId }] = await db.query(
      `INSERT INTO repeat_offender_match (created_at, seller_id, prior_seller_id, lead_id, identifier_kinds, prior_offences, status)
       VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id::text`,
      [
        at,
        pair.seller,
        pair.prior,
        leadId,
        pair.kinds,
        [PriorOffence.SELLER_CLOSED],
        RepeatOffenderMatchStatus.PENDING,
      ],
    );
    const lead = leadSnapshot({
      reference: leadReference,
      status: LeadStatus.NEW,
      riskScore: MATCH_RISK_SCORE,
      reporterPriority: null,
      closeReason: null,
      closeNote: null,
      investigationId: null,
      version: 1,
    } as Lead);
    const links = { brandIds: [], sellerIds: [pair.seller, pair.prior], listingIds: [] };
    events.push({
      at: now,
      action: 'lead.reported',
      entityType: Lead.name,
      entityId: Number(leadId),
      before: null,
      after: { ...lead, source: LeadSource.REPEAT_OFFENDER_MATCH, fastTrack: false, ...links },
    });
    const match = matchSnapshot({
      sellerId: pair.seller,
      priorSellerId: pair.prior,
      leadId,
      identifierKinds: pair.kinds,
      priorOffences: [PriorOffence.SELLER_CLOSED],
      status: RepeatOffenderMatchStatus.PENDING,
      decisionNote: null,
      sanctionApplied: null,
      version: 1,
    } as unknown as RepeatOffenderMatch);
    events.push({
      at: now,
      action: 'repeatOffenderMatch.raised',
      entityType: RepeatOffenderMatch.name,
      entityId: Number(matchId),
      before: null,
      after: match,
    });
    raised += 1;
  }
  await appendSeededEvents(db, audit, events, events.length);
  return raised;
}
