import { DataSource } from 'typeorm';
import { entities } from '../../src/entities';
import { toGlobalId } from '../../src/shared/relay/global-id';

/**
 * The oracle of the generated isolation test: from the database, with plain SQL written here (not with
 * visibility.ts), every record of every table as a global id, and the records each scoped caller may
 * see according to DESIGN.md section 3.
 */

export type CallerName = 'brandA' | 'brandB' | 'agencyX' | 'agencyY';
export const CALLERS: CallerName[] = ['brandA', 'brandB', 'agencyX', 'agencyY'];

export interface DbRecord {
  gid: string;
  typeName: string;
  table: string;
  rowId: string;
  row: Record<string, unknown>;
}

export interface Inventory {
  records: DbRecord[];
  byGid: Map<string, DbRecord>;
  /** Entity class name (= GraphQL type name of the global id) -> table. */
  tables: Map<string, string>;
}

/** Every row of every entity table, with its global id (type name = entity class name). */
export async function readInventory(db: DataSource): Promise<Inventory> {
  const records: DbRecord[] = [];
  const tables = new Map<string, string>();
  for (const entity of entities) {
    const metadata = db.getMetadata(entity);
    const typeName = entity.name;
    const pk = metadata.primaryColumns[0].databaseName;
    tables.set(typeName, metadata.tableName);
    const rows: Record<string, unknown>[] = await db.query(
      `SELECT *, ${pk}::text AS "__pk" FROM ${metadata.tableName} ORDER BY ${pk}`,
    );
    for (const { __pk, ...row } of rows) {
      const rowId = String(__pk);
      records.push({ gid: toGlobalId(typeName, rowId), typeName, table: metadata.tableName, rowId, row });
    }
  }
  return { records, byGid: new Map(records.map((r) => [r.gid, r])), tables };
}

export interface CallerScope {
  name: CallerName;
  kind: 'BRAND' | 'AGENCY';
  token: string;
  principalId: string;
  /** The brand or agency row id the caller acts for. */
  tenantId: string;
  /** The other tenant of the same kind (brand B for brand A, agency Y for agency X). */
  otherTenantGid: string;
  allowed: Set<string>;
  /** Allowed records per type name (entity class name). */
  allowedCount: Map<string, number>;
  /** Audit events per allowed entity global id. */
  auditCount: Map<string, number>;
}

// Brand partner (DESIGN.md 3): its brand and trademarks; listings claiming it; leads naming it; the
// sellers of its listings and on its leads; the investigations, non-draft referrals, their outcomes and
// feed entries behind its leads (not their escalations and feedback: internal and the agency's), the joint
// operations of those outcomes; agencies (public); itself, its own API keys and webhooks. Nothing else.
const BRAND_SQL = `
WITH
  b_leads AS (SELECT lead_id AS id FROM lead_brand WHERE brand_id = $2),
  b_investigations AS (SELECT DISTINCT investigation_id AS id FROM lead WHERE id IN (SELECT id FROM b_leads) AND investigation_id IS NOT NULL),
  b_referrals AS (SELECT id FROM referral WHERE status <> 'DRAFT' AND investigation_id IN (SELECT id FROM b_investigations)),
  b_sellers AS (SELECT seller_id AS id FROM listing WHERE brand_id = $2
                UNION SELECT seller_id FROM lead_seller WHERE lead_id IN (SELECT id FROM b_leads))
SELECT 'Brand' AS type, id::text FROM brand WHERE id = $2
UNION ALL SELECT 'Trademark', id::text FROM trademark WHERE brand_id = $2
UNION ALL SELECT 'Agency', id::text FROM agency
UNION ALL SELECT 'Listing', id::text FROM listing WHERE brand_id = $2
UNION ALL SELECT 'Lead', id::text FROM b_leads
UNION ALL SELECT 'Seller', id::text FROM b_sellers
UNION ALL SELECT 'Investigation', id::text FROM b_investigations
UNION ALL SELECT 'Referral', id::text FROM b_referrals
UNION ALL SELECT 'EnforcementOutcome', id::text FROM enforcement_outcome WHERE referral_id IN (SELECT id FROM b_referrals)
UNION ALL SELECT 'ReferralChange', seq::text FROM referral_change WHERE referral_id IN (SELECT id FROM b_referrals)
UNION ALL SELECT 'JointOperation', operation_id::text FROM enforcement_outcome WHERE referral_id IN (SELECT id FROM b_referrals) AND operation_id IS NOT NULL
UNION ALL SELECT 'Principal', id::text FROM principal WHERE id = $1
UNION ALL SELECT 'ApiKey', id::text FROM api_key WHERE principal_id = $1
UNION ALL SELECT 'WebhookSubscription', id::text FROM webhook_subscription WHERE principal_id = $1
UNION ALL SELECT 'WebhookDelivery', d.id::text FROM webhook_delivery d JOIN webhook_subscription s ON s.id = d.subscription_id WHERE s.principal_id = $1`;

// Agency liaison (DESIGN.md 3): non-draft referrals sent to its agency, their outcomes (and the joint
// operations they are part of), feed entries, escalations and feedback, the evidence disclosed on them
// with its custody transfers; the investigations behind them with their findings; the premises those
// findings and outcomes name; the leads of those investigations and the sellers, listings and brands on
// those leads (and the trademarks of those brands); agencies (public); itself, its own API keys and webhooks.
// Nothing else.
const AGENCY_SQL = `
WITH
  a_referrals AS (SELECT id, investigation_id FROM referral WHERE agency_id = $2 AND status <> 'DRAFT'),
  a_investigations AS (SELECT DISTINCT investigation_id AS id FROM a_referrals),
  a_leads AS (SELECT id FROM lead WHERE investigation_id IN (SELECT id FROM a_investigations)),
  a_evidence AS (SELECT DISTINCT evidence_id AS id FROM referral_evidence WHERE referral_id IN (SELECT id FROM a_referrals)),
  a_brands AS (SELECT DISTINCT brand_id AS id FROM lead_brand WHERE lead_id IN (SELECT id FROM a_leads))
SELECT 'Referral' AS type, id::text FROM a_referrals
UNION ALL SELECT 'Investigation', id::text FROM a_investigations
UNION ALL SELECT 'Lead', id::text FROM a_leads
UNION ALL SELECT 'Finding', id::text FROM finding WHERE investigation_id IN (SELECT id FROM a_investigations)
UNION ALL SELECT 'Evidence', id::text FROM a_evidence
UNION ALL SELECT 'CustodyTransfer', id::text FROM custody_transfer WHERE evidence_id IN (SELECT id FROM a_evidence)
UNION ALL SELECT 'EnforcementOutcome', id::text FROM enforcement_outcome WHERE referral_id IN (SELECT id FROM a_referrals)
UNION ALL SELECT 'ReferralChange', seq::text FROM referral_change WHERE referral_id IN (SELECT id FROM a_referrals)
UNION ALL SELECT 'JointOperation', operation_id::text FROM enforcement_outcome WHERE referral_id IN (SELECT id FROM a_referrals) AND operation_id IS NOT NULL
UNION ALL SELECT 'ReferralEscalation', id::text FROM referral_escalation WHERE referral_id IN (SELECT id FROM a_referrals)
UNION ALL SELECT 'ReferralFeedback', id::text FROM referral_feedback WHERE referral_id IN (SELECT id FROM a_referrals)
UNION ALL SELECT 'Premises', premises_id::text FROM finding WHERE investigation_id IN (SELECT id FROM a_investigations) AND premises_id IS NOT NULL
UNION ALL SELECT 'Premises', premises_id::text FROM enforcement_outcome WHERE referral_id IN (SELECT id FROM a_referrals) AND premises_id IS NOT NULL
UNION ALL SELECT 'Seller', seller_id::text FROM lead_seller WHERE lead_id IN (SELECT id FROM a_leads)
UNION ALL SELECT 'Listing', listing_id::text FROM lead_listing WHERE lead_id IN (SELECT id FROM a_leads)
UNION ALL SELECT 'Brand', id::text FROM a_brands
UNION ALL SELECT 'Trademark', id::text FROM trademark WHERE brand_id IN (SELECT id FROM a_brands)
UNION ALL SELECT 'Agency', id::text FROM agency
UNION ALL SELECT 'Principal', id::text FROM principal WHERE id = $1
UNION ALL SELECT 'ApiKey', id::text FROM api_key WHERE principal_id = $1
UNION ALL SELECT 'WebhookSubscription', id::text FROM webhook_subscription WHERE principal_id = $1
UNION ALL SELECT 'WebhookDelivery', d.id::text FROM webhook_delivery d JOIN webhook_subscription s ON s.id = d.subscription_id WHERE s.principal_id = $1`;

export async function callerScope(
  db: DataSource,
  name: CallerName,
  token: string,
  ids: Record<string, string>,
): Promise<CallerScope> {
  const kind = name.startsWith('brand') ? 'BRAND' : 'AGENCY';
  const tenantId = ids[name];
  const otherName = { brandA: 'brandB', brandB: 'brandA', agencyX: 'agencyY', agencyY: 'agencyX' }[name];
  const [principal] = await db.query(
    kind === 'BRAND'
      ? `SELECT id::text FROM principal WHERE role = 'BRAND_PARTNER' AND brand_id = $1`
      : `SELECT id::text FROM principal WHERE role = 'AGENCY_LIAISON' AND agency_id = $1`,
    [tenantId],
  );
  const rows: { type: string; id: string }[] = await db.query(kind === 'BRAND' ? BRAND_SQL : AGENCY_SQL, [
    principal.id,
    tenantId,
  ]);
  const allowed = new Set<string>();
  const allowedCount = new Map<string, number>();
  for (const { type, id } of rows) {
    const gid = toGlobalId(type, id);
    if (allowed.has(gid)) continue;
    allowed.add(gid);
    allowedCount.set(type, (allowedCount.get(type) ?? 0) + 1);
  }
  // Audit events are in scope where the record they are about is (the audit trail of that record).
  const audit: { entity_type: string; entity_id: string; seq: string }[] = await db.query(
    `SELECT entity_type, entity_id::text, seq::text FROM audit_event`,
  );
  const auditCount = new Map<string, number>();
  for (const a of audit) {
    const entity = toGlobalId(a.entity_type, a.entity_id);
    if (!allowed.has(entity)) continue;
    auditCount.set(entity, (auditCount.get(entity) ?? 0) + 1);
    allowed.add(toGlobalId('AuditEvent', a.seq));
    allowedCount.set('AuditEvent', (allowedCount.get('AuditEvent') ?? 0) + 1);
  }
  return {
    name,
    kind,
    token,
    principalId: principal.id,
    tenantId,
    otherTenantGid: toGlobalId(kind === 'BRAND' ? 'Brand' : 'Agency', ids[otherName]),
    allowed,
    allowedCount,
    auditCount,
  };
}

/**
 * Strings that belong only to records the caller may not see: every text value of a row out of scope
 * that no row in scope holds (exactly or as part of a longer value), at least 4 characters long and not
 * the name of an enum value. If one of them turns up in a response, something of the other tenant leaked.
 * Audit events count as in scope when the record they are about is; the hash of an audit event out of
 * scope is its identity in the chain and stays forbidden even where an event in scope links to it.
 */
export function forbiddenStrings(inventory: Inventory, scope: CallerScope, enumValues: Set<string>): string[] {
  const inScope = (r: DbRecord) => scope.allowed.has(r.gid);
  const texts = (r: DbRecord) => Object.values(r.row).filter((v): v is string => typeof v === 'string');
  const allowedTexts = inventory.records.filter(inScope).flatMap(texts);
  const allowedSet = new Set(allowedTexts);
  const candidates = new Set(inventory.records.filter((r) => !inScope(r)).flatMap(texts));
  const values = [...candidates].filter(
    (s) => s.trim().length >= 4 && !allowedSet.has(s) && !enumValues.has(s) && !allowedTexts.some((a) => a.includes(s)),
  );
  const auditHashes = inventory.records
    .filter((r) => r.typeName === 'AuditEvent' && !inScope(r))
    .map((r) => String(r.row.hash));
  return [...new Set([...values, ...auditHashes])];
}
