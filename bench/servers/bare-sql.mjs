// The hand-written SQL of the bare server: one statement per canonical operation, each building the whole
// GraphQL-shaped answer as JSON text in PostgreSQL (json_build_object / json_agg), so that Node only
// copies bytes. Reviewed by hand and checked against this API's answers by bench/run.mjs (--check).
// Row-level security applies: the server connects as eca_app with the caller's scope in its session
// settings. The explicit scope predicates (lead_brand.brand_id = eca_brand(), referral.agency_id =
// eca_agency()) are there for the planner (start from the right index); the policies still apply.

/** Global id as this API writes it: base64url of "Type:id", no padding. */
const gid = (type, column) =>
  `rtrim(translate(encode(convert_to('${type}:' || ${column}, 'UTF8'), 'base64'), '+/', '-_'), '=')`;

export const SQL = {
  // (1) Brand portal case list: $1 = first.
  caseList: `
    WITH page AS (
      SELECT l.* FROM lead_brand lb JOIN lead l ON l.id = lb.lead_id
      WHERE lb.brand_id = eca_brand()
      ORDER BY l.created_at DESC, l.id DESC LIMIT $1::int + 1
    )
    SELECT json_build_object('leads', json_build_object(
      'pageInfo', json_build_object('hasNextPage', (SELECT count(*) FROM page) > $1::int),
      'nodes', coalesce((SELECT json_agg(json_build_object(
          'id', ${gid('Lead', 'p.id')}, 'reference', p.reference, 'status', p.status, 'riskScore', p.risk_score, 'createdAt', p.created_at,
          'sellers', (SELECT coalesce(json_agg(json_build_object('displayName', s.display_name, 'region', s.region, 'status', s.status) ORDER BY s.id), '[]')
                      FROM lead_seller ls JOIN seller s ON s.id = ls.seller_id WHERE ls.lead_id = p.id),
          'investigation', (SELECT json_build_object('reference', i.reference, 'status', i.status,
              'referrals', (SELECT coalesce(json_agg(json_build_object('reference', r.reference, 'status', r.status, 'sentAt', r.sent_at,
                    'agency', (SELECT json_build_object('code', a.code, 'name', a.name) FROM agency a WHERE a.id = r.agency_id),
                    'outcomes', (SELECT coalesce(json_agg(json_build_object('kind', o.kind, 'occurredAt', o.occurred_at, 'arrests', o.arrests) ORDER BY o.occurred_at, o.id), '[]')
                                 FROM enforcement_outcome o WHERE o.referral_id = r.id)) ORDER BY r.id), '[]')
                  FROM referral r WHERE r.investigation_id = i.id AND r.status <> 'DRAFT'))
            FROM investigation i WHERE i.id = p.investigation_id)
        ) ORDER BY p.created_at DESC, p.id DESC)
        FROM (SELECT * FROM page ORDER BY created_at DESC, id DESC LIMIT $1::int) p), '[]')))::text AS body`,

  // (2) Agency sync page: $1 = first.
  agencySync: `
    WITH page AS (
      SELECT r.* FROM referral r WHERE r.agency_id = eca_agency() AND r.status <> 'DRAFT'
      ORDER BY r.created_at DESC, r.id DESC LIMIT $1::int + 1
    )
    SELECT json_build_object('referrals', json_build_object(
      'pageInfo', json_build_object('hasNextPage', (SELECT count(*) FROM page) > $1::int),
      'nodes', coalesce((SELECT json_agg(json_build_object(
          'id', ${gid('Referral', 'p.id')}, 'reference', p.reference, 'status', p.status, 'sentAt', p.sent_at,
          'disclosedEvidence', (SELECT coalesce(json_agg(json_build_object('kind', e.kind, 'sha256', e.sha256, 'custodian', e.custodian) ORDER BY e.id), '[]')
                                FROM referral_evidence re JOIN evidence e ON e.id = re.evidence_id WHERE re.referral_id = p.id),
          'investigation', (SELECT json_build_object('reference', i.reference, 'status', i.status,
              'leads', json_build_object('nodes', (SELECT coalesce(json_agg(json_build_object('reference', l.reference, 'status', l.status,
                    'sellers', (SELECT coalesce(json_agg(json_build_object('displayName', s.display_name, 'region', s.region) ORDER BY s.id), '[]')
                                FROM lead_seller ls JOIN seller s ON s.id = ls.seller_id WHERE ls.lead_id = l.id)
                  ) ORDER BY l.created_at DESC, l.id DESC), '[]')
                FROM (SELECT * FROM lead l WHERE l.investigation_id = i.id ORDER BY l.created_at DESC, l.id DESC LIMIT 10) l)))
            FROM investigation i WHERE i.id = p.investigation_id)
        ) ORDER BY p.created_at DESC, p.id DESC)
        FROM (SELECT * FROM page ORDER BY created_at DESC, id DESC LIMIT $1::int) p), '[]')))::text AS body`,

  // (3) node(id:) of a lead: $1 = global id, $2 = row id (decoded by the server).
  node: `
    SELECT json_build_object('node', (SELECT json_build_object('id', $1::text, 'reference', l.reference, 'status', l.status, 'riskScore', l.risk_score, 'createdAt', l.created_at)
                                      FROM lead l WHERE l.id = $2::bigint))::text AS body`,

  // (4) The enforcement funnel over what the caller may see (a brand partner: its brand; an analyst: everything).
  funnel: `
    SELECT json_build_object('analytics', json_build_object('enforcementFunnel', json_build_object(
      'leads', f.leads, 'triaged', f.triaged, 'investigated', f.investigated, 'referred', f.referred, 'actioned', f.actioned, 'convicted', f.convicted)))::text AS body
    FROM (
      WITH visible_leads AS (
        SELECT l.id, l.investigation_id, l.triaged_at, l.status FROM lead l WHERE eca_scope() IS DISTINCT FROM 'BRAND'
        UNION ALL
        SELECT l.id, l.investigation_id, l.triaged_at, l.status FROM lead_brand lb JOIN lead l ON l.id = lb.lead_id
        WHERE eca_scope() = 'BRAND' AND lb.brand_id = eca_brand()
      ),
      stages AS (
        SELECT r.investigation_id, bool_or(o.kind IN ('RAID', 'SEIZURE', 'FINE')) AS actioned, bool_or(o.kind = 'CONVICTION') AS convicted
        FROM referral r LEFT JOIN enforcement_outcome o ON o.referral_id = r.id AND o.kind IN ('RAID', 'SEIZURE', 'FINE', 'CONVICTION')
        WHERE r.sent_at IS NOT NULL AND r.investigation_id IN (SELECT investigation_id FROM visible_leads)
        GROUP BY r.investigation_id
      )
      SELECT count(*)::int AS leads,
             count(*) FILTER (WHERE f.triaged_at IS NOT NULL OR f.status IN ('TRIAGED', 'INVESTIGATING', 'REFERRED') OR f.investigation_id IS NOT NULL)::int AS triaged,
             count(f.investigation_id)::int AS investigated,
             count(s.investigation_id)::int AS referred,
             count(*) FILTER (WHERE s.actioned)::int AS actioned,
             count(*) FILTER (WHERE s.convicted)::int AS convicted
      FROM visible_leads f LEFT JOIN stages s ON s.investigation_id = f.investigation_id
    ) f`,

  // (5) Monthly takedowns of one region's sellers over a year: $1 = from, $2 = to, $3 = regions.
  // The same SQL as bench.takedown_series (bench/sql/bench-functions.sql), inlined.
  takedowns: `
    WITH bounds AS (SELECT date_trunc('month', $1::timestamptz AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS first_at),
    events AS (
      SELECT 'TAKEN_DOWN' AS kind, x.taken_down_at AS at
      FROM listing x JOIN seller v ON v.id = x.seller_id, bounds
      WHERE x.taken_down_at >= bounds.first_at AND x.taken_down_at < $2::timestamptz AND v.region = ANY ($3::text[])
      UNION ALL
      SELECT 'TAKEN_DOWN', e.at
      FROM audit_event e JOIN listing x ON x.id = e.entity_id JOIN seller v ON v.id = x.seller_id, bounds
      WHERE e.action = 'listing.takenDown' AND e.entity_type = 'Listing' AND e.at >= bounds.first_at AND e.at < $2::timestamptz
        AND (e.after ->> 'takenDownAt')::timestamptz < x.taken_down_at AND v.region = ANY ($3::text[])
      UNION ALL
      SELECT 'REINSTATED', e.at
      FROM audit_event e JOIN listing x ON x.id = e.entity_id JOIN seller v ON v.id = x.seller_id, bounds
      WHERE e.action = 'listing.reinstated' AND e.entity_type = 'Listing' AND e.at >= bounds.first_at AND e.at < $2::timestamptz AND v.region = ANY ($3::text[])
      UNION ALL
      SELECT e.after ->> 'status', e.at
      FROM audit_event e JOIN seller v ON v.id = e.entity_id, bounds
      WHERE e.action IN ('seller.statusChanged', 'seller.struck') AND e.entity_type = 'Seller' AND e.at >= bounds.first_at AND e.at < $2::timestamptz
        AND e.after ->> 'status' IN ('RESTRICTED', 'SUSPENDED', 'CLOSED') AND (e.before ->> 'status') IS DISTINCT FROM (e.after ->> 'status')
        AND v.region = ANY ($3::text[])
    ),
    buckets AS (
      SELECT b.bucket AT TIME ZONE 'UTC' AS start,
             count(e.kind) FILTER (WHERE e.kind = 'TAKEN_DOWN') AS taken_down, count(e.kind) FILTER (WHERE e.kind = 'REINSTATED') AS reinstated,
             count(e.kind) FILTER (WHERE e.kind = 'RESTRICTED') AS restricted, count(e.kind) FILTER (WHERE e.kind = 'SUSPENDED') AS suspended,
             count(e.kind) FILTER (WHERE e.kind = 'CLOSED') AS closed
      FROM generate_series(date_trunc('month', $1::timestamptz AT TIME ZONE 'UTC'), ($2::timestamptz - interval '1 millisecond') AT TIME ZONE 'UTC', interval '1 month') AS b(bucket)
      LEFT JOIN events e ON date_trunc('month', e.at AT TIME ZONE 'UTC') = b.bucket
      GROUP BY b.bucket
    )
    SELECT json_build_object('analytics', json_build_object('takedownSeries', json_build_object('buckets', (
      SELECT json_agg(json_build_object('start', start, 'listingsTakenDown', taken_down, 'listingsReinstated', reinstated,
                                        'sellersRestricted', restricted, 'sellersSuspended', suspended, 'sellersClosed', closed) ORDER BY start)
      FROM buckets))))::text AS body`,

  // (6) reportLead of a brand partner: $1 description, $2 risk score, $3 seller ids, $4 listing ids.
  reportLead: `
    SELECT json_build_object('reportLead', json_build_object(
      'lead', json_build_object('id', ${gid('Lead', 'l.id')}, 'reference', l.reference, 'status', l.status, 'riskScore', l.risk_score, 'description', l.description),
      'userErrors', '[]'::json))::text AS body
    FROM bench.report_lead($1::text, $2::int, $3::bigint[], $4::bigint[]) l`,
};
