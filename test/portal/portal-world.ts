import { TestDatabase } from '../support/database';
import { buildCase, mutate } from '../support/cases';
import { createWorld, World } from '../support/fixtures';
import { TestServer } from '../support/server';
import { decodeGlobalId } from '../../src/shared/relay/global-id';

/** Descriptions with what a CSV must quote (comma, quotes) and what a spreadsheet needs UTF-8 for (accents, Chinese). */
export const DESCRIPTIONS = ['Sac « Alpha », "contrefaçon" n°', '假冒 Alpha 手袋, 义乌', 'Chaussure Alpha; modèle été'];

export interface PortalWorld {
  world: World;
  /** Brand A's leads, in the order they were reported. */
  brandALeads: string[];
  /** The referrals sent to agency X; the first two made overdue. */
  agencyXReferrals: string[];
  /** The case of brand A that went furthest: referred to X, acknowledged, a raid reported. */
  fullCase: { leadId: string; investigationId: string; referralId: string };
}

/**
 * Brands Alpha (A) and Beta (B), agencies X and Y (createWorld), and cases made through the API, so that
 * each has a history: seven of A (one only reported, four referred to X, one to Y), two of B referred to X.
 */
export async function buildPortalWorld(db: TestDatabase, server: TestServer): Promise<PortalWorld> {
  const world = await createWorld(db.dataSource);
  const brandALeads: string[] = [];
  const agencyXReferrals: string[] = [];
  let fullCase: PortalWorld['fullCase'] | undefined;
  for (let i = 0; i < 6; i += 1) {
    const referTo = i < 4 ? world.gid.agencyX : i === 4 ? world.gid.agencyY : undefined;
    const ids = await buildCase(server, world, { referTo, tag: `${DESCRIPTIONS[i % DESCRIPTIONS.length]}${i}` });
    brandALeads.push(ids.leadId);
    if (referTo === world.gid.agencyX) agencyXReferrals.push(ids.referralId!);
    if (i === 3) fullCase = { leadId: ids.leadId, investigationId: ids.investigationId, referralId: ids.referralId! };
  }
  const { lead } = await mutate(
    server,
    world.keys.brandA,
    'reportLead',
    { description: 'Sac Alpha, juste signalé', sellerIds: [world.gid.sellerA] },
    'lead { id }',
  );
  brandALeads.push(lead.id);
  for (let i = 0; i < 2; i += 1) {
    const ids = await buildCase(server, world, { brand: 'B', referTo: world.gid.agencyX, tag: `Beta ${i}` });
    agencyXReferrals.push(ids.referralId!);
  }
  const { referral } = await mutate(
    server,
    world.keys.agencyX,
    'acknowledgeReferral',
    { referralId: fullCase!.referralId, agencyCaseReference: 'YW-2026-0042' },
    'referral { id }',
  );
  await mutate(
    server,
    world.keys.agencyX,
    'recordEnforcementOutcome',
    {
      referralId: referral.id,
      kind: 'RAID',
      occurredAt: new Date(Date.now() - 50).toISOString(),
      arrests: 3,
      densDestroyed: 1,
      seizedValue: { amount: 12_345_600, currency: 'CNY' },
    },
    'outcome { id }',
  );
  // Two referrals past their acknowledgement deadline (the owner moves the deadline back, as time would).
  await db.dataSource.query(
    `UPDATE referral SET acknowledge_by = now() - interval '2 days' WHERE status = 'SENT' AND id = ANY($1::bigint[])`,
    [agencyXReferrals.slice(0, 2).map(rowId)],
  );
  return { world, brandALeads, agencyXReferrals, fullCase: fullCase! };
}

/** The database id behind a global id. */
export const rowId = (globalId: string): string => decodeGlobalId(globalId).rowId;
