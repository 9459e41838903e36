/**
 * The row-level security of every table, in one place: the live policies are exactly these
 * (test/isolation/policies-catalogue.test.ts compares them with pg_policies of a migrated database). They restate the
 * rules of visibility.ts (the source) in SQL for the API's role, so that a read that forgot its predicate still
 * sees only the caller's rows. A change of a policy is a change of this file plus a migration that applies it
 * (`applyPolicies`, as migrations/1764300300000-PoliciesInOnePlace.ts does).
 *
 * Every table here has row-level security enabled and forced. Forced, so that no role reads a table without
 * a policy naming it: the API's role gets `scope`, the table's owner (migrations, seed, command line, and the
 * SECURITY DEFINER functions that the policies call for their cross-table checks) gets `owner`, which admits
 * every row as before. A superuser passes row-level security by regardless.
 *
 * Scope settings (src/http/request-transaction.ts): eca_scope() 'ALL' | 'BRAND' | 'AGENCY', eca_brand(),
 * eca_agency(), eca_principal(); unset (NULL) on a connection that has not begun a request.
 * `WITH CHECK (true)`: what the API may write is decided by the services; the policy guards reads.
 */
export const APP_ROLE = 'eca_app';
/** Stands for the table's owner in `roles`: resolved when the policy is created. */
export const OWNER = '<owner>';

export interface Policy {
  name: string;
  command: 'ALL' | 'SELECT' | 'INSERT' | 'UPDATE' | 'DELETE';
  roles: string[];
  using?: string;
  check?: string;
}

const ALL = `eca_scope() = 'ALL'`;
const scope = (using: string, check: string | null = 'true'): Policy => ({
  name: 'scope',
  command: 'ALL',
  roles: [APP_ROLE],
  using,
  ...(check === null ? {} : { check }),
});
const internal = scope(ALL);
/** Analytics rollups the API's role may not write: no WITH CHECK (it has no INSERT or UPDATE on them). */
const readOnly = (using: string) => scope(using, null);
/** A rollup kept per tenant: its rows of the caller's brand or agency. */
const tenantRows = readOnly(
  `${ALL} OR (scope = eca_scope() AND scope_id = CASE eca_scope() WHEN 'BRAND' THEN eca_brand() WHEN 'AGENCY' THEN eca_agency() ELSE NULL::bigint END)`,
);
/** Admin only: a SECURITY DEFINER check of the principal's role, once per statement (init plan). */
const ADMIN = `(SELECT eca_principal_is_admin())`;

export const POLICIES: Record<string, Policy[]> = {
  brand: [scope(`${ALL} OR eca_brand_visible(id)`)],
  trademark: [scope(`${ALL} OR eca_brand_visible(brand_id)`)],
  seller: [
    scope(`CASE eca_scope()
      WHEN 'ALL' THEN true
      WHEN 'BRAND' THEN EXISTS (SELECT 1 FROM listing l WHERE l.seller_id = seller.id AND l.brand_id = eca_brand())
        OR EXISTS (SELECT 1 FROM lead_seller ls JOIN lead_brand lb ON lb.lead_id = ls.lead_id WHERE ls.seller_id = seller.id AND lb.brand_id = eca_brand())
      WHEN 'AGENCY' THEN EXISTS (SELECT 1 FROM lead_seller ls WHERE ls.seller_id = seller.id AND eca_lead_referred_to(ls.lead_id, eca_agency()))
      ELSE false END`),
  ],
  seller_identifier: [internal],
  seller_strike: [internal],
  listing: [
    scope(`${ALL}
      OR (eca_scope() = 'BRAND' AND brand_id = eca_brand())
      OR (eca_scope() = 'AGENCY' AND EXISTS (SELECT 1 FROM lead_listing ll WHERE ll.listing_id = listing.id AND eca_lead_referred_to(ll.lead_id, eca_agency())))`),
  ],
  // A brand: the leads that name it (visibility.ts; before 1764300300000 also the leads its principal reported).
  lead: [
    scope(`${ALL}
      OR (eca_scope() = 'BRAND' AND EXISTS (SELECT 1 FROM lead_brand lb WHERE lb.lead_id = lead.id AND lb.brand_id = eca_brand()))
      OR (eca_scope() = 'AGENCY' AND investigation_id IS NOT NULL AND eca_investigation_referred_to(investigation_id, eca_agency()))`),
  ],
  investigation: [
    scope(`${ALL}
      OR (eca_scope() = 'BRAND' AND eca_investigation_of_brand(id, eca_brand()))
      OR (eca_scope() = 'AGENCY' AND eca_investigation_referred_to(id, eca_agency()))`),
  ],
  finding: [
    scope(`${ALL} OR (eca_scope() = 'AGENCY' AND eca_investigation_referred_to(investigation_id, eca_agency()))`),
  ],
  evidence: [
    scope(`CASE eca_scope()
      WHEN 'ALL' THEN true
      WHEN 'AGENCY' THEN EXISTS (SELECT 1 FROM referral_evidence re JOIN referral r ON r.id = re.referral_id
                                 WHERE re.evidence_id = evidence.id AND r.agency_id = eca_agency() AND r.status <> 'DRAFT')
      ELSE false END`),
  ],
  custody_transfer: [
    scope(`CASE eca_scope()
      WHEN 'ALL' THEN true
      WHEN 'AGENCY' THEN EXISTS (SELECT 1 FROM referral_evidence re JOIN referral r ON r.id = re.referral_id
                                 WHERE re.evidence_id = custody_transfer.evidence_id AND r.agency_id = eca_agency() AND r.status <> 'DRAFT')
      ELSE false END`),
  ],
  premises: [scope(`eca_premises_visible(id)`)],
  referral: [
    scope(`CASE eca_scope()
      WHEN 'ALL' THEN true
      WHEN 'BRAND' THEN eca_referral_visible(id)
      WHEN 'AGENCY' THEN status <> 'DRAFT' AND agency_id = eca_agency()
      ELSE false END`),
  ],
  referral_change: [scope(`${ALL} OR eca_referral_visible(referral_id)`)],
  referral_escalation: [scope(`${ALL} OR (eca_scope() = 'AGENCY' AND eca_referral_visible(referral_id))`)],
  referral_feedback: [scope(`${ALL} OR (eca_scope() = 'AGENCY' AND eca_referral_visible(referral_id))`)],
  enforcement_outcome: [scope(`${ALL} OR eca_referral_visible(referral_id)`)],
  joint_operation: [scope(`${ALL} OR eca_operation_visible(id)`)],
  repeat_offender_match: [internal],
  // The caller's own idempotency keys (src/shared/idempotency.ts).
  idempotency_key: [scope(`principal_id = eca_principal()`, `principal_id = eca_principal()`)],
  // Analytics rollups (docs/analytics.md): read-only to the API's role.
  // Not eca_brand_visible: a SECURITY DEFINER function, called per row, cost reportLead's fast-track read ~15 µs per
  // day of the window (migration 1764600100000), and an agency's fast-track windows of 100 brands 130 ms (36,000
  // rows): a brand's own rows by an inline comparison, an agency's brands (those of its sent referrals' leads) as
  // a set built once and hashed (migration 1764700100000).
  brand_report_stats: [
    readOnly(`${ALL} OR (eca_scope() = 'BRAND' AND brand_id = eca_brand())
      OR (eca_scope() = 'AGENCY' AND brand_id IN (SELECT lb.brand_id FROM referral r JOIN lead l ON l.investigation_id = r.investigation_id
        JOIN lead_brand lb ON lb.lead_id = l.id WHERE r.agency_id = eca_agency() AND r.status <> 'DRAFT'))`),
  ],
  listing_takedown_day: [readOnly(ALL)],
  seller_sanction_day: [readOnly(ALL)],
  // Each seller sanction (migration 1764700000000): the sellers `seller`'s policy admits, written as sets built once
  // and hashed (a brand's listings' and leads' sellers, an agency's referred leads' sellers), as the rows tested are
  // many (92,000 sanctions in 26 weeks at scale 10) and the per-row check of `seller` cost ~8 µs each.
  seller_sanction: [
    readOnly(`${ALL}
      OR (eca_scope() = 'BRAND' AND (seller_id IN (SELECT l.seller_id FROM listing l WHERE l.brand_id = eca_brand())
        OR seller_id IN (SELECT ls.seller_id FROM lead_seller ls JOIN lead_brand lb ON lb.lead_id = ls.lead_id WHERE lb.brand_id = eca_brand())))
      OR (eca_scope() = 'AGENCY' AND seller_id IN (SELECT ls.seller_id FROM lead_seller ls JOIN lead l ON l.id = ls.lead_id
        JOIN referral r ON r.investigation_id = l.investigation_id WHERE r.agency_id = eca_agency() AND r.status <> 'DRAFT'))`),
  ],
  lead_region: [readOnly(`${ALL} OR EXISTS (SELECT 1 FROM lead l WHERE l.id = lead_region.lead_id)`)],
  // Reporter accuracy per brand and day (docs/analytics.md): a brand partner reads its brand's rows of the internal
  // scope (its own figures), an agency the rows of its own scope.
  reporter_accuracy_day: [
    readOnly(`${ALL}
      OR (eca_scope() = 'BRAND' AND scope = 'ALL' AND brand_id = eca_brand())
      OR (eca_scope() = 'AGENCY' AND scope = 'AGENCY' AND scope_id = eca_agency())`),
  ],
  // The funnel per region of every lead (migration 1764700200000): internal only, partners count theirs live.
  region_funnel: [readOnly(ALL)],
  scoped_seller_offence: [tenantRows],
  network_offence: [tenantRows],
  // Principals and API keys (visibility.ts): internal roles see every principal, partners themselves; an
  // administrator every key, everyone else its own. Unset scope: the authentication of a request (by token
  // hash, src/modules/principal/principal.service.ts), which runs before the caller is known. Only an
  // administrator creates principals and keys, and revokes keys (the only column the API may update).
  principal: [
    {
      name: 'scope',
      command: 'SELECT',
      roles: [APP_ROLE],
      using: `eca_scope() IS NULL OR ${ALL} OR id = eca_principal()`,
    },
    { name: 'admin_create', command: 'INSERT', roles: [APP_ROLE], check: ADMIN },
  ],
  api_key: [
    {
      name: 'scope',
      command: 'SELECT',
      roles: [APP_ROLE],
      using: `eca_scope() IS NULL OR principal_id = eca_principal() OR ${ADMIN}`,
    },
    { name: 'admin_create', command: 'INSERT', roles: [APP_ROLE], check: ADMIN },
    { name: 'admin_revoke', command: 'UPDATE', roles: [APP_ROLE], using: ADMIN, check: ADMIN },
  ],
  // Webhooks (src/modules/webhook): a principal's own subscriptions and their delivery log; the outbox is
  // written by changes (INSERT only, never read by the API's role: the worker reads it as the owner).
  webhook_subscription: [scope(`principal_id = eca_principal()`, `principal_id = eca_principal()`)],
  webhook_delivery: [
    scope(
      `EXISTS (SELECT 1 FROM webhook_subscription s WHERE s.id = webhook_delivery.subscription_id AND s.principal_id = eca_principal())`,
    ),
  ],
  webhook_event: [{ name: 'append', command: 'INSERT', roles: [APP_ROLE], check: 'true' }],
};

/** The owner's policy on every table: the owner is not scoped (it migrates, seeds, and runs the definers). */
const OWNER_POLICY: Policy = { name: 'owner', command: 'ALL', roles: [OWNER], using: 'true', check: 'true' };

/** Every policy of a table, the owner's included. */
export const policiesOf = (table: string): Policy[] => [...POLICIES[table], OWNER_POLICY];

const ident = (name: string) => (/^[a-z_][a-z0-9_]*$/.test(name) ? name : `"${name.replace(/"/g, '""')}"`);

export function createPolicySql(table: string, p: Policy, owner: string): string {
  const roles = p.roles.map((r) => ident(r === OWNER ? owner : r)).join(', ');
  return (
    `CREATE POLICY ${ident(p.name)} ON ${ident(table)} AS PERMISSIVE FOR ${p.command} TO ${roles}` +
    `${p.using === undefined ? '' : ` USING (${p.using})`}${p.check === undefined ? '' : ` WITH CHECK (${p.check})`}`
  );
}

interface Runner {
  query(sql: string, parameters?: unknown[]): Promise<unknown>;
}

/**
 * Makes the policies of `tables` exactly those of this file: drops every policy they have, enables and forces
 * row-level security, and creates the file's. Run inside the migration's transaction.
 */
export async function applyPolicies(q: Runner, tables: string[] = Object.keys(POLICIES)): Promise<void> {
  for (const table of tables) {
    const existing = (await q.query(
      `SELECT policyname FROM pg_policies WHERE schemaname = current_schema() AND tablename = $1`,
      [table],
    )) as { policyname: string }[];
    for (const { policyname } of existing) await q.query(`DROP POLICY ${ident(policyname)} ON ${ident(table)}`);
    const [{ owner }] = (await q.query(
      `SELECT pg_get_userbyid(relowner) AS owner FROM pg_class WHERE oid = $1::regclass`,
      [table],
    )) as { owner: string }[];
    await q.query(`ALTER TABLE ${ident(table)} ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY`);
    for (const p of policiesOf(table)) await q.query(createPolicySql(table, p, owner));
  }
}
