import { DataSource } from 'typeorm';
import { World } from '../support/fixtures';

/**
 * A small case history written straight into the tables, with exact timestamps, so that every figure
 * can be counted by hand (see the table in analytics-figures.test.ts). Built on createWorld's tenants:
 * brands A and B, agencies X and Y, sellers A (CN-ZJ, TAOBAO), B (CN-GD, TMALL) and AB (CN-FJ, TAOBAO).
 */
export interface OutcomeSpec {
  kind: 'RAID' | 'ARREST' | 'SEIZURE' | 'PROSECUTION' | 'CONVICTION' | 'ACQUITTAL' | 'FINE';
  at: string;
  arrests?: number;
  dens?: number;
  convictions?: number;
  seized?: [number, string];
  fine?: [number, string];
}

export interface ReferralSpec {
  agency: string;
  status: string;
  createdAt: string;
  sentAt?: string;
  acknowledgedAt?: string;
  firstActionAt?: string;
  concludedAt?: string;
  outcomes?: OutcomeSpec[];
}

export interface LeadSpec {
  name: string;
  brands: string[];
  sellers: string[];
  listings?: string[];
  source: string;
  status: string;
  createdAt: string;
  triagedAt?: string;
  closeReason?: string;
  investigation?: { createdAt: string; status: string; referrals?: ReferralSpec[] };
}

let sequence = 0;
const next = () => (sequence += 1);

async function insert(db: DataSource, table: string, values: Record<string, unknown>): Promise<string> {
  const columns = Object.keys(values);
  const [row] = await db.query(
    `INSERT INTO ${table} (${columns.join(', ')}) VALUES (${columns.map((_, i) => `$${i + 1}`).join(', ')}) RETURNING id`,
    Object.values(values),
  );
  return String(row.id);
}

/** Inserts one lead with its investigation, referrals and outcomes; returns the row ids by name. */
export async function insertLead(db: DataSource, world: World, spec: LeadSpec): Promise<Record<string, string>> {
  const ids: Record<string, string> = {};
  let investigationId: string | null = null;
  if (spec.investigation) {
    investigationId = await insert(db, 'investigation', {
      created_at: spec.investigation.createdAt,
      reference: `INV-T-${next()}`,
      status: spec.investigation.status,
      summary: spec.name,
    });
    ids.investigation = investigationId;
  }
  ids.lead = await insert(db, 'lead', {
    created_at: spec.createdAt,
    reference: `LD-T-${next()}`,
    source: spec.source,
    description: spec.name,
    status: spec.status,
    close_reason: spec.closeReason ?? null,
    triaged_at: spec.triagedAt ?? null,
    investigation_id: investigationId,
    closed_at: spec.closeReason ? spec.createdAt : null,
  });
  for (const brand of spec.brands)
    await db.query('INSERT INTO lead_brand (lead_id, brand_id) VALUES ($1, $2)', [ids.lead, world.ids[brand]]);
  for (const seller of spec.sellers)
    await db.query('INSERT INTO lead_seller (lead_id, seller_id) VALUES ($1, $2)', [ids.lead, world.ids[seller]]);
  for (const listing of spec.listings ?? [])
    await db.query('INSERT INTO lead_listing (lead_id, listing_id) VALUES ($1, $2)', [ids.lead, world.ids[listing]]);
  for (const [i, referral] of (spec.investigation?.referrals ?? []).entries()) {
    const referralId = await insert(db, 'referral', {
      created_at: referral.createdAt,
      reference: `REF-T-${next()}`,
      investigation_id: investigationId,
      agency_id: world.ids[referral.agency],
      status: referral.status,
      summary: spec.name,
      sent_at: referral.sentAt ?? null,
      acknowledged_at: referral.acknowledgedAt ?? null,
      first_action_at: referral.firstActionAt ?? null,
      concluded_at: referral.concludedAt ?? null,
    });
    ids[`referral${i}`] = referralId;
    for (const outcome of referral.outcomes ?? []) {
      await insert(db, 'enforcement_outcome', {
        referral_id: referralId,
        kind: outcome.kind,
        occurred_at: outcome.at,
        arrests: outcome.arrests ?? 0,
        dens_destroyed: outcome.dens ?? 0,
        convictions: outcome.convictions ?? 0,
        seized_value_amount: outcome.seized?.[0] ?? null,
        seized_value_currency: outcome.seized?.[1] ?? null,
        fine_amount: outcome.fine?.[0] ?? null,
        fine_currency: outcome.fine?.[1] ?? null,
      });
    }
  }
  return ids;
}

/**
 * The hand-counted history (all times UTC, 2026):
 *
 * | lead | brands | sellers | source             | created | triaged | investigation  | referrals (agency: sent, ack, first action, concluded; outcomes)                                         |
 * | L1   | A      | A       | BRAND_REPORT       | 01-01   | 01-02   | I1 01-03       | X: 01-05, 01-06, 01-08, 01-20 CONVICTED; RAID 01-08 (3 arrests, 1 den, 1000 CNY), SEIZURE 01-10 (500 USD), PROSECUTION 01-15, CONVICTION 01-20 (2) |
 * | L2   | A      | AB      | PLATFORM_DETECTION | 01-10   | 01-11   | I2 01-14       | Y: 01-20, 01-22, 01-30 ACTION_TAKEN; FINE 01-30 (2000 CNY). X: DRAFT (never sent)                        |
 * | L3   | B      | B       | BRAND_REPORT       | 01-15   | 01-16   | I3 01-25       | X: 02-04, 02-05, 02-10 ACTION_TAKEN; RAID 02-10 (5 arrests, 2 dens, 3000 CNY)                            |
 * | L4   | A      | A       | TIP                | 02-01   | 02-02   |                |                                                                                                          |
 * | L5   | A, B   | A, B    | BRAND_REPORT       | 02-10   |         |                | (NEW)                                                                                                    |
 * | L6   | B      | B       | BRAND_REPORT       | 02-15   |         |                | (closed from NEW: not triaged)                                                                           |
 * | L7   | A      |         | BRAND_REPORT       | 03-01   |         |                | (NEW, no seller: in no region)                                                                           |
 *
 * Also: seller A has 4 strikes; listing B1 (brand B, seller B) was taken down on 02-03 (seeded history, no audit event).
 */
export async function insertHistory(db: DataSource, world: World): Promise<Record<string, Record<string, string>>> {
  const leads: Record<string, Record<string, string>> = {};
  leads.L1 = await insertLead(db, world, {
    name: 'L1',
    brands: ['brandA'],
    sellers: ['sellerA'],
    listings: ['listingA1'],
    source: 'BRAND_REPORT',
    status: 'REFERRED',
    createdAt: '2026-01-01T00:00:00Z',
    triagedAt: '2026-01-02T00:00:00Z',
    investigation: {
      createdAt: '2026-01-03T00:00:00Z',
      status: 'REFERRED',
      referrals: [
        {
          agency: 'agencyX',
          status: 'CONVICTED',
          createdAt: '2026-01-04T00:00:00Z',
          sentAt: '2026-01-05T00:00:00Z',
          acknowledgedAt: '2026-01-06T00:00:00Z',
          firstActionAt: '2026-01-08T00:00:00Z',
          concludedAt: '2026-01-20T00:00:00Z',
          outcomes: [
            { kind: 'RAID', at: '2026-01-08T00:00:00Z', arrests: 3, dens: 1, seized: [1000, 'CNY'] },
            { kind: 'SEIZURE', at: '2026-01-10T00:00:00Z', seized: [500, 'USD'] },
            { kind: 'PROSECUTION', at: '2026-01-15T00:00:00Z' },
            { kind: 'CONVICTION', at: '2026-01-20T00:00:00Z', convictions: 2 },
          ],
        },
      ],
    },
  });
  leads.L2 = await insertLead(db, world, {
    name: 'L2',
    brands: ['brandA'],
    sellers: ['sellerAB'],
    listings: ['listingA2'],
    source: 'PLATFORM_DETECTION',
    status: 'REFERRED',
    createdAt: '2026-01-10T00:00:00Z',
    triagedAt: '2026-01-11T00:00:00Z',
    investigation: {
      createdAt: '2026-01-14T00:00:00Z',
      status: 'REFERRED',
      referrals: [
        {
          agency: 'agencyY',
          status: 'ACTION_TAKEN',
          createdAt: '2026-01-19T00:00:00Z',
          sentAt: '2026-01-20T00:00:00Z',
          acknowledgedAt: '2026-01-22T00:00:00Z',
          firstActionAt: '2026-01-30T00:00:00Z',
          outcomes: [{ kind: 'FINE', at: '2026-01-30T00:00:00Z', fine: [2000, 'CNY'] }],
        },
        { agency: 'agencyX', status: 'DRAFT', createdAt: '2026-01-19T00:00:00Z' },
      ],
    },
  });
  leads.L3 = await insertLead(db, world, {
    name: 'L3',
    brands: ['brandB'],
    sellers: ['sellerB'],
    listings: ['listingB1'],
    source: 'BRAND_REPORT',
    status: 'REFERRED',
    createdAt: '2026-01-15T00:00:00Z',
    triagedAt: '2026-01-16T00:00:00Z',
    investigation: {
      createdAt: '2026-01-25T00:00:00Z',
      status: 'REFERRED',
      referrals: [
        {
          agency: 'agencyX',
          status: 'ACTION_TAKEN',
          createdAt: '2026-02-03T00:00:00Z',
          sentAt: '2026-02-04T00:00:00Z',
          acknowledgedAt: '2026-02-05T00:00:00Z',
          firstActionAt: '2026-02-10T00:00:00Z',
          outcomes: [{ kind: 'RAID', at: '2026-02-10T00:00:00Z', arrests: 5, dens: 2, seized: [3000, 'CNY'] }],
        },
      ],
    },
  });
  leads.L4 = await insertLead(db, world, {
    name: 'L4',
    brands: ['brandA'],
    sellers: ['sellerA'],
    source: 'TIP',
    status: 'TRIAGED',
    createdAt: '2026-02-01T00:00:00Z',
    triagedAt: '2026-02-02T00:00:00Z',
  });
  leads.L5 = await insertLead(db, world, {
    name: 'L5',
    brands: ['brandA', 'brandB'],
    sellers: ['sellerA', 'sellerB'],
    source: 'BRAND_REPORT',
    status: 'NEW',
    createdAt: '2026-02-10T00:00:00Z',
  });
  leads.L6 = await insertLead(db, world, {
    name: 'L6',
    brands: ['brandB'],
    sellers: ['sellerB'],
    source: 'BRAND_REPORT',
    status: 'CLOSED',
    closeReason: 'NOT_COUNTERFEIT',
    createdAt: '2026-02-15T00:00:00Z',
  });
  leads.L7 = await insertLead(db, world, {
    name: 'L7',
    brands: ['brandA'],
    sellers: [],
    source: 'BRAND_REPORT',
    status: 'NEW',
    createdAt: '2026-03-01T00:00:00Z',
  });
  await db.query('UPDATE seller SET strike_count = 4, status = $2 WHERE id = $1', [world.ids.sellerA, 'RESTRICTED']);
  await db.query(`UPDATE listing SET status = 'TAKEN_DOWN', taken_down_at = '2026-02-03T00:00:00Z' WHERE id = $1`, [
    world.ids.listingB1,
  ]);
  return leads;
}
