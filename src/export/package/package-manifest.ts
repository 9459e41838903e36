import type { QueryRunner } from 'typeorm';
import { Role } from '../../shared/auth/role.js';
import { Scope, applyScope } from '../../shared/auth/scope.js';
import { APP_ROLE } from '../../shared/data-access/policies.sql.js';
import { toGlobalId } from '../../shared/relay/global-id.js';
import type { SignedCheckpoint } from '../../shared/audit/audit-signing.js';

/**
 * The manifest of a referral package (README, "Referral packages"): what the receiving agency may read of the
 * referral, with its evidence, custody and the audit events that record them. Read in one REPEATABLE READ, READ
 * ONLY transaction as the API's role (`SET LOCAL ROLE eca_app`) under the receiving agency's scope, whoever asks:
 * row-level security leaves out whatever the agency could not read through GraphQL.
 */
export const PACKAGE_FORMAT = 'eca-referral-package/1';

export interface ManifestFile {
  /** The entry of the archive holding the bytes: files/<sha256>. */
  path: string;
  size: number;
  mediaType: string;
}

export interface ManifestTransfer {
  id: string;
  fromCustodian: string;
  toCustodian: string;
  transferredAt: string;
  purpose: string;
  toAgency: { code: string; name: string } | null;
  acknowledgement: 'NOT_REQUESTED' | 'AWAITED' | 'ACKNOWLEDGED';
  acknowledgedAt: string | null;
}

export interface ManifestEvidence {
  id: string;
  kind: string;
  description: string;
  /** SHA-256 declared when the item was collected (hex): the file must hash to it. */
  sha256: string;
  collectedBy: string;
  collectedAt: string;
  custodian: string;
  /** Null: the API does not hold the item's content (only its declared hash). */
  file: ManifestFile | null;
  /** Hand-overs in the order they happened. */
  custody: ManifestTransfer[];
}

export interface ManifestEvent {
  seq: string;
  at: string;
  actorId: string | null;
  actorLabel: string;
  action: string;
  entityType: string;
  entityId: string;
  before: unknown;
  after: unknown;
  requestId: string | null;
  prevHash: string;
  hash: string;
  leafIndex: number;
  /** RFC 9162 inclusion proof of the event's leaf in the checkpoint's tree, base64 hashes. */
  proof: string[];
}

export interface PackageManifest {
  format: typeof PACKAGE_FORMAT;
  createdAt: string;
  referral: Record<string, unknown> & { id: string; reference: string };
  agency: { id: string; code: string; name: string };
  investigation: Record<string, unknown> | null;
  leads: Record<string, unknown>[];
  sellers: Record<string, unknown>[];
  listings: Record<string, unknown>[];
  evidence: ManifestEvidence[];
  outcomes: Record<string, unknown>[];
  /** checkpoint: null only when no event is listed (a log that has none about these items). */
  audit: { checkpoint: SignedCheckpoint | null; events: ManifestEvent[] };
}

/** Where a referral stands for the caller: absent (or hidden from it), a draft, or sent to this agency. */
export type ReferralLookup =
  { found: false } | { found: true; rowId: string; reference: string; agencyId: string; status: string };

/** Enters the API's role for the rest of the transaction: forced row-level security applies, even to the owner. */
export async function enterAppRole(runner: QueryRunner): Promise<void> {
  await runner.query(`SET LOCAL ROLE ${APP_ROLE}`);
}

/** The referral as the caller's scope sees it (an agency: its own sent referrals only). */
export async function lookUpReferral(
  runner: QueryRunner,
  callerScope: Scope,
  by: { rowId: string } | { reference: string },
): Promise<ReferralLookup> {
  await applyScope(runner, callerScope);
  const [row] = await runner.query(
    `SELECT id::text, reference, agency_id::text, status FROM referral WHERE ${'rowId' in by ? 'id = $1' : 'reference = $1'}`,
    ['rowId' in by ? by.rowId : by.reference],
  );
  return row
    ? { found: true, rowId: row.id, reference: row.reference, agencyId: row.agency_id, status: row.status }
    : { found: false };
}

type Row = Record<string, unknown>;
const gid = (type: string, rowId: unknown) => toGlobalId(type, String(rowId));
const iso = (value: unknown) =>
  value === null || value === undefined ? null : new Date(value as string).toISOString();
const money = (amount: unknown, currency: unknown) =>
  amount === null ? null : { amount: Number(amount), currency: String(currency).trim() };

/**
 * The case data of the manifest (everything but files and audit), read as the receiving agency. The caller has
 * entered the app role (enterAppRole) in a REPEATABLE READ transaction.
 */
export async function readAgencyView(runner: QueryRunner, referralRowId: string, agencyId: string) {
  await applyScope(runner, { kind: 'AGENCY', role: Role.AGENCY_LIAISON, agencyId });
  const q = (sql: string, parameters: unknown[]): Promise<Row[]> => runner.query(sql, parameters);
  const [referral] = await q(
    `SELECT r.id::text, r.reference, r.status, r.summary, r.agency_case_reference, r.decline_reason, r.investigation_id::text,
            r.created_at, r.sent_at, r.acknowledged_at, r.first_action_at, r.concluded_at, r.closed_at
     FROM referral r WHERE r.id = $1`,
    [referralRowId],
  );
  if (!referral) return null;
  const [agency] = await q('SELECT id::text, code, name FROM agency WHERE id = $1', [agencyId]);
  const [investigation] = await q(
    'SELECT id::text, reference, status, summary, created_at, closed_at FROM investigation WHERE id = $1',
    [referral.investigation_id],
  );
  const leads = await q(
    `SELECT id::text, reference, source, status, description, risk_score, created_at, triaged_at, closed_at
     FROM lead WHERE investigation_id = $1 ORDER BY id`,
    [referral.investigation_id],
  );
  const leadIds = leads.map((l) => l.id);
  const sellers = await q(
    `SELECT s.id::text, s.platform, s.external_id, s.display_name, s.region, s.status FROM seller s
     WHERE EXISTS (SELECT 1 FROM lead_seller ls WHERE ls.seller_id = s.id AND ls.lead_id = ANY($1::bigint[])) ORDER BY s.id`,
    [leadIds],
  );
  const listings = await q(
    `SELECT l.id::text, l.seller_id::text, l.title, l.url, l.price_amount::text, l.price_currency, l.status, l.taken_down_at
     FROM listing l
     WHERE EXISTS (SELECT 1 FROM lead_listing ll WHERE ll.listing_id = l.id AND ll.lead_id = ANY($1::bigint[])) ORDER BY l.id`,
    [leadIds],
  );
  // The items disclosed on this referral; the policy leaves out any the agency may not read.
  const evidence = await q(
    `SELECT e.id::text, e.kind, e.description, e.sha256, e.collected_by, e.collected_at, e.custodian,
            e.content_size::text, e.content_media_type FROM evidence e
     JOIN referral_evidence re ON re.evidence_id = e.id WHERE re.referral_id = $1 ORDER BY e.id`,
    [referralRowId],
  );
  const transfers = await q(
    `SELECT t.id::text, t.evidence_id::text, t.from_custodian, t.to_custodian, t.transferred_at, t.purpose,
            t.to_agency_id::text, a.code AS to_agency_code, a.name AS to_agency_name, t.acknowledged_at
     FROM custody_transfer t LEFT JOIN agency a ON a.id = t.to_agency_id
     WHERE t.evidence_id = ANY($1::bigint[]) ORDER BY t.evidence_id, t.transferred_at, t.id`,
    [evidence.map((e) => e.id)],
  );
  const outcomes = await q(
    `SELECT id::text, kind, occurred_at, arrests, dens_destroyed, convictions, seized_value_amount::text,
            seized_value_currency, fine_amount::text, fine_currency, region, seized_goods, notes
     FROM enforcement_outcome WHERE referral_id = $1 ORDER BY occurred_at, id`,
    [referralRowId],
  );
  return {
    agency: { id: gid('Agency', agency.id), code: agency.code as string, name: agency.name as string },
    referral: {
      id: gid('Referral', referral.id),
      reference: referral.reference as string,
      status: referral.status,
      summary: referral.summary,
      agencyCaseReference: referral.agency_case_reference,
      declineReason: referral.decline_reason,
      createdAt: iso(referral.created_at),
      sentAt: iso(referral.sent_at),
      acknowledgedAt: iso(referral.acknowledged_at),
      firstActionAt: iso(referral.first_action_at),
      concludedAt: iso(referral.concluded_at),
      closedAt: iso(referral.closed_at),
    },
    investigation: investigation
      ? {
          id: gid('Investigation', investigation.id),
          reference: investigation.reference,
          status: investigation.status,
          summary: investigation.summary,
          createdAt: iso(investigation.created_at),
          closedAt: iso(investigation.closed_at),
        }
      : null,
    leads: leads.map((l: Row) => ({
      id: gid('Lead', l.id),
      reference: l.reference,
      source: l.source,
      status: l.status,
      description: l.description,
      riskScore: l.risk_score,
      createdAt: iso(l.created_at),
      triagedAt: iso(l.triaged_at),
      closedAt: iso(l.closed_at),
    })),
    sellers: sellers.map((s: Row) => ({
      id: gid('Seller', s.id),
      platform: s.platform,
      externalId: s.external_id,
      displayName: s.display_name,
      region: s.region,
      status: s.status,
    })),
    listings: listings.map((l: Row) => ({
      id: gid('Listing', l.id),
      sellerId: gid('Seller', l.seller_id),
      title: l.title,
      url: l.url,
      price: money(l.price_amount, l.price_currency),
      status: l.status,
      takenDownAt: iso(l.taken_down_at),
    })),
    evidenceRows: evidence.map((e: Row) => ({
      rowId: e.id as string,
      // The uploaded file, when there is one (evidence-content.service.ts): its size and type as checked then.
      stored:
        e.content_size === null ? null : { size: Number(e.content_size), mediaType: e.content_media_type as string },
      item: {
        id: gid('Evidence', e.id),
        kind: e.kind,
        description: e.description,
        sha256: e.sha256,
        collectedBy: e.collected_by,
        collectedAt: iso(e.collected_at)!,
        custodian: e.custodian,
        file: null,
        custody: transfers
          .filter((t) => t.evidence_id === e.id)
          .map((t): ManifestTransfer => ({
            id: toGlobalId('CustodyTransfer', t.id as string),
            fromCustodian: t.from_custodian as string,
            toCustodian: t.to_custodian as string,
            transferredAt: iso(t.transferred_at)!,
            purpose: t.purpose as string,
            toAgency: t.to_agency_id ? { code: t.to_agency_code as string, name: t.to_agency_name as string } : null,
            acknowledgement: !t.to_agency_id ? 'NOT_REQUESTED' : t.acknowledged_at ? 'ACKNOWLEDGED' : 'AWAITED',
            acknowledgedAt: iso(t.acknowledged_at),
          })),
      } as ManifestEvidence,
    })),
    transferRowIds: transfers.map((t) => t.id as string),
    outcomes: outcomes.map((o: Row) => ({
      id: gid('EnforcementOutcome', o.id),
      kind: o.kind,
      occurredAt: iso(o.occurred_at),
      arrests: o.arrests,
      densDestroyed: o.dens_destroyed,
      convictions: o.convictions,
      seizedValue: money(o.seized_value_amount, o.seized_value_currency),
      fine: money(o.fine_amount, o.fine_currency),
      region: o.region,
      seizedGoods: o.seized_goods,
      notes: o.notes,
    })),
  };
}
