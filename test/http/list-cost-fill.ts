import { refreshAnalyticsRollups } from '../../src/modules/analytics/seller-network.service';
import { toGlobalId, decodeGlobalId } from '../../src/shared/relay/global-id';
import { TestDatabase } from '../support/database';
import { Dataset } from '../isolation/dataset';

// The lists of test/http/list-cost.test.ts filled to their bounds, beside the isolation walk's dataset.

export interface Fill {
  /** A seller of the 210-seller network. */
  networkSeller: string;
  /** Global ids of records of many types, for `nodes(ids:)` (100) and `node(id:)`. */
  nodeIds: string[];
}

const rowOf = (gid: string) => decodeGlobalId(gid).rowId;

const hash = (n: number) => n.toString(16).padStart(64, 'c');

/**
 * Fills lists up to their enforced bounds, straight into the tables (the API would take thousands of
 * requests). Everything is in brand A's scope (listings of brand A) and agency X's (the lead is in brand
 * A's main investigation, referred to agency X), so that scoped callers see full lists too.
 */
export async function fillLists(db: TestDatabase, ds: Dataset): Promise<Fill> {
  const insert = async (table: string, values: Record<string, unknown>): Promise<string> => {
    const columns = Object.keys(values);
    const [row] = await db.dataSource.query(
      `INSERT INTO ${table} (${columns.join(', ')}) VALUES (${columns.map((_, i) => `$${i + 1}`).join(', ')}) RETURNING id`,
      Object.values(values),
    );
    return String(row.id);
  };

  const { world } = ds;
  const seller = async (name: string, region: string) => {
    const id = await insert('seller', {
      platform: 'TAOBAO',
      external_id: `fill-${name}`,
      display_name: `Filler ${name}`,
      region,
      status: 'ACTIVE',
      strike_count: 1,
    });
    await insert('listing', {
      seller_id: id,
      brand_id: world.ids.brandA,
      title: `Filler listing ${name}`,
      url: `https://x/fill/${name}`,
      price_amount: 100,
      price_currency: 'CNY',
      status: 'LIVE',
    });
    return id;
  };
  const regions = Array.from({ length: 40 }, (_, i) => `CN-${String.fromCharCode(65 + (i % 26))}${i < 26 ? '' : 'X'}`);
  // 100 offenders, each in a network of two with a partner of its own: 100 networks.
  const offenders: string[] = [];
  for (let i = 0; i < 100; i += 1) {
    const offender = await seller(`o${i}`, regions[i % regions.length]);
    const partner = await seller(`p${i}`, regions[i % regions.length]);
    for (const id of [offender, partner])
      await insert('seller_identifier', { seller_id: id, kind: 'DEVICE', value_hash: hash(1000 + i) });
    offenders.push(offender);
  }
  // One network of 210 sellers sharing a phone: more than NETWORK_MAX_SELLERS members, more than NETWORK_MAX_LINKS links.
  const network: string[] = [];
  for (let i = 0; i < 210; i += 1) {
    const id = await seller(`n${i}`, 'CN-ZJ');
    await insert('seller_identifier', { seller_id: id, kind: 'PHONE', value_hash: hash(7) });
    network.push(id);
  }
  // One of them known by 40 identifiers.
  for (let i = 0; i < 40; i += 1)
    await insert('seller_identifier', { seller_id: network[0], kind: 'EMAIL', value_hash: hash(5000 + i) });
  // 98 more brands: 100 in all.
  const brands = [world.ids.brandA, world.ids.brandB];
  for (let i = 0; i < 98; i += 1)
    brands.push(await insert('brand', { name: `Filler brand ${i}`, slug: `filler-${i}`, status: 'ACTIVE' }));

  const investigation = rowOf(ds.caseA.investigationId);
  const referral = rowOf(ds.caseA.referralId!);
  const lead = await insert('lead', {
    reference: 'LD-FILL-000001',
    source: 'BRAND_REPORT',
    description: 'A lead naming 100 sellers and 100 brands',
    status: 'INVESTIGATING',
    investigation_id: investigation,
  });
  for (const id of brands)
    await db.dataSource.query('INSERT INTO lead_brand (lead_id, brand_id) VALUES ($1, $2)', [lead, id]);
  for (const id of offenders)
    await db.dataSource.query('INSERT INTO lead_seller (lead_id, seller_id) VALUES ($1, $2)', [lead, id]);
  // The network offends through a second lead of brand A naming five of its sellers.
  const networkLead = await insert('lead', {
    reference: 'LD-FILL-000002',
    source: 'BRAND_REPORT',
    description: 'A lead on the network',
    status: 'NEW',
  });
  await db.dataSource.query('INSERT INTO lead_brand (lead_id, brand_id) VALUES ($1, $2)', [
    networkLead,
    world.ids.brandA,
  ]);
  for (const id of network.slice(0, 5))
    await db.dataSource.query('INSERT INTO lead_seller (lead_id, seller_id) VALUES ($1, $2)', [networkLead, id]);

  // Brand A's main referral (to agency X) discloses 99 more evidence items (100); one has 15 custody transfers.
  const evidence: string[] = [];
  for (let i = 0; i < 99; i += 1) {
    const id = await insert('evidence', {
      investigation_id: investigation,
      kind: 'PHOTO',
      description: `Filler evidence ${i}`,
      sha256: hash(20_000 + i),
      storage_key: `s3://fill/${i}`,
      collected_by: 'Filler',
      collected_at: '2026-03-01T00:00:00Z',
      custodian: 'Filler lab',
    });
    await db.dataSource.query('INSERT INTO referral_evidence (referral_id, evidence_id) VALUES ($1, $2)', [
      referral,
      id,
    ]);
    evidence.push(id);
  }
  for (let i = 0; i < 15; i += 1) {
    await insert('custody_transfer', {
      evidence_id: evidence[0],
      from_custodian: `Lab ${i}`,
      to_custodian: `Lab ${i + 1}`,
      transferred_at: '2026-03-02T00:00:00Z',
      purpose: 'Filler transfer',
    });
  }
  // 30 outcomes on it, seized values in 15 currencies; the first seized 50 kinds of goods.
  const goods = JSON.stringify(
    Array.from({ length: 50 }, (_, i) => ({ description: `Filler goods ${i}`, quantity: i + 1, unit: 'PIECE' })),
  );
  for (let i = 0; i < 30; i += 1) {
    const currency = `X${String.fromCharCode(65 + (i % 15))}A`;
    await insert('enforcement_outcome', {
      referral_id: referral,
      kind: 'SEIZURE',
      occurred_at: '2026-04-05T00:00:00Z',
      seized_value_amount: 100 + i,
      seized_value_currency: currency,
      seized_goods: i === 0 ? goods : null,
    });
  }
  await refreshAnalyticsRollups(db.dataSource);

  // The lead naming 100 sellers and 100 brands first.
  const nodeIds = [
    toGlobalId('Lead', lead),
    ds.caseA.referralId!,
    ds.caseA.investigationId,
    toGlobalId('Evidence', evidence[0]),
    toGlobalId('Seller', network[0]),
    ds.richA.leadId,
    ds.richA.investigationId,
    ds.richA.referralId!,
    ds.richB.referralId!,
    ds.caseB.referralId!,
    ds.leadAB,
    world.gid.brandA,
    world.gid.brandB,
    ...offenders.map((id) => toGlobalId('Seller', id)),
  ].slice(0, 100);
  return { networkSeller: toGlobalId('Seller', network[0]), nodeIds };
}
