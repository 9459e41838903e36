-- Installed by bench/run.mjs (as the owner) into the bench's own copy of the seeded database, in a schema
-- of its own: the SQL that PostGraphile exposes for the operations it cannot express over plain tables
-- (the funnel, the takedown series, reportLead), and that the bare server calls or inlines. Every
-- function is SECURITY INVOKER: called by eca_app, row-level security applies as it does to our server.
-- The explicit scope predicates (lead_brand.brand_id = eca_brand(), ...) only let PostgreSQL start from
-- the right index; the policies still decide what is visible.
DROP SCHEMA IF EXISTS bench CASCADE;
CREATE SCHEMA bench;
GRANT USAGE ON SCHEMA bench TO eca_app;

CREATE TYPE bench.funnel AS (leads int, triaged int, investigated int, referred int, actioned int, convicted int);

-- The enforcement funnel over every lead the caller may see (src/modules/analytics/analytics.service.ts,
-- leadStages + funnelColumns, without a filter): one row per lead with its stage flags, the referral
-- stages aggregated once per investigation over the sent referrals and their outcomes. A brand partner's
-- leads are read from lead_brand (UNION ALL branches with one-time filters: only one runs).
CREATE FUNCTION bench.enforcement_funnel() RETURNS bench.funnel LANGUAGE sql STABLE AS $$
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
  SELECT count(*)::int,
         count(*) FILTER (WHERE f.triaged_at IS NOT NULL OR f.status IN ('TRIAGED', 'INVESTIGATING', 'REFERRED') OR f.investigation_id IS NOT NULL)::int,
         count(f.investigation_id)::int,
         count(s.investigation_id)::int,
         count(*) FILTER (WHERE s.actioned)::int,
         count(*) FILTER (WHERE s.convicted)::int
  FROM visible_leads f LEFT JOIN stages s ON s.investigation_id = f.investigation_id
$$;

CREATE TYPE bench.takedown_bucket AS (
  start timestamptz, listings_taken_down int, listings_reinstated int, sellers_restricted int, sellers_suspended int, sellers_closed int
);

-- Takedowns and sanctions per month of [from_at, to_at) for the sellers of the given regions
-- (analytics.service.ts takedownSeries with filter { from, to, regions }): a listing's last takedown
-- (taken_down_at), its earlier ones and its reinstatements (audit trail), and seller sanctions (audit trail).
CREATE FUNCTION bench.takedown_series(from_at timestamptz, to_at timestamptz, regions text[])
  RETURNS SETOF bench.takedown_bucket LANGUAGE sql STABLE AS $$
  WITH bounds AS (SELECT date_trunc('month', from_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS first_at),
  events AS (
    SELECT 'TAKEN_DOWN' AS kind, x.taken_down_at AS at
    FROM listing x JOIN seller v ON v.id = x.seller_id, bounds
    WHERE x.taken_down_at >= bounds.first_at AND x.taken_down_at < to_at AND v.region = ANY (regions)
    UNION ALL
    SELECT 'TAKEN_DOWN', e.at
    FROM audit_event e JOIN listing x ON x.id = e.entity_id JOIN seller v ON v.id = x.seller_id, bounds
    WHERE e.action = 'listing.takenDown' AND e.entity_type = 'Listing' AND e.at >= bounds.first_at AND e.at < to_at
      AND (e.after ->> 'takenDownAt')::timestamptz < x.taken_down_at AND v.region = ANY (regions)
    UNION ALL
    SELECT 'REINSTATED', e.at
    FROM audit_event e JOIN listing x ON x.id = e.entity_id JOIN seller v ON v.id = x.seller_id, bounds
    WHERE e.action = 'listing.reinstated' AND e.entity_type = 'Listing' AND e.at >= bounds.first_at AND e.at < to_at AND v.region = ANY (regions)
    UNION ALL
    SELECT e.after ->> 'status', e.at
    FROM audit_event e JOIN seller v ON v.id = e.entity_id, bounds
    WHERE e.action IN ('seller.statusChanged', 'seller.struck') AND e.entity_type = 'Seller' AND e.at >= bounds.first_at AND e.at < to_at
      AND e.after ->> 'status' IN ('RESTRICTED', 'SUSPENDED', 'CLOSED') AND (e.before ->> 'status') IS DISTINCT FROM (e.after ->> 'status')
      AND v.region = ANY (regions)
  )
  SELECT b.bucket AT TIME ZONE 'UTC',
         (count(e.kind) FILTER (WHERE e.kind = 'TAKEN_DOWN'))::int,
         (count(e.kind) FILTER (WHERE e.kind = 'REINSTATED'))::int,
         (count(e.kind) FILTER (WHERE e.kind = 'RESTRICTED'))::int,
         (count(e.kind) FILTER (WHERE e.kind = 'SUSPENDED'))::int,
         (count(e.kind) FILTER (WHERE e.kind = 'CLOSED'))::int
  FROM generate_series(date_trunc('month', from_at AT TIME ZONE 'UTC'), (to_at - interval '1 millisecond') AT TIME ZONE 'UTC', interval '1 month') AS b(bucket)
  LEFT JOIN events e ON date_trunc('month', e.at AT TIME ZONE 'UTC') = b.bucket
  GROUP BY b.bucket ORDER BY b.bucket
$$;

-- JSON text of a value as JavaScript's JSON.stringify writes it (src/shared/audit/audit-chain.ts canonicalJson).
CREATE FUNCTION bench.json_text(value text) RETURNS text LANGUAGE sql IMMUTABLE AS $$ SELECT coalesce(to_json(value)::text, 'null') $$;
CREATE FUNCTION bench.json_ids(ids bigint[]) RETURNS text LANGUAGE sql IMMUTABLE AS $$
  SELECT '[' || coalesce(string_agg('"' || id || '"', ',' ORDER BY ord), '') || ']' FROM unnest(ids) WITH ORDINALITY AS t(id, ord)
$$;

-- reportLead of a brand partner (src/modules/lead/lead.service.ts reportLead, without an idempotency key):
-- the sellers and listings must be visible, the next LD reference, the lead and its links, and one
-- hash-chained audit event under the audit chain's advisory lock (src/shared/audit/audit.service.ts), with
-- its leaf index in the Merkle log (the chain verifies; the event is not signed: see the INSERT). plpgsql, so that each statement
-- sees what the previous audit writer committed once the lock is ours.
CREATE FUNCTION bench.report_lead(description text, risk_score int, seller_ids bigint[], listing_ids bigint[])
  RETURNS lead LANGUAGE plpgsql VOLATILE AS $fn$
DECLARE
  brand bigint := eca_brand();
  principal_row principal;
  counter int;
  new_lead lead;
  prev text;
  next_leaf bigint;
  next_seq bigint;
  event_at timestamptz := date_trunc('milliseconds', clock_timestamp());
  after_text text;
  content text;
BEGIN
  IF brand IS NULL THEN RAISE EXCEPTION 'reportLead: a brand partner only' USING ERRCODE = 'P0001'; END IF;
  IF (SELECT count(*) FROM seller WHERE id = ANY (seller_ids)) <> cardinality(seller_ids) THEN
    RAISE EXCEPTION 'reportLead: a seller does not exist or is out of scope' USING ERRCODE = 'P0001';
  END IF;
  IF (SELECT count(*) FROM listing WHERE id = ANY (listing_ids)) <> cardinality(listing_ids) THEN
    RAISE EXCEPTION 'reportLead: a listing does not exist or is out of scope' USING ERRCODE = 'P0001';
  END IF;
  SELECT * INTO principal_row FROM principal WHERE id = eca_principal();
  counter := nextval('reference_ld_seq');
  -- A brand partner's riskScore is its reporter priority; the triage risk score starts at 50 (enforcement policy).
  -- Without RETURNING, then read back once it names the brand: a brand may read only the leads that name it
  -- (the lead policy, as the API's createLead does).
  INSERT INTO lead (reference, source, description, risk_score, reporter_priority, status, reported_by_id)
    VALUES ('LD-' || extract(year FROM now() AT TIME ZONE 'UTC')::int || '-' || lpad(counter::text, 6, '0'), 'BRAND_REPORT', description, 50, risk_score, 'NEW', principal_row.id);
  new_lead.id := currval(pg_get_serial_sequence('lead', 'id'));
  INSERT INTO lead_brand (lead_id, brand_id) VALUES (new_lead.id, brand);
  INSERT INTO lead_seller (lead_id, seller_id) SELECT new_lead.id, unnest(seller_ids);
  INSERT INTO lead_listing (lead_id, listing_id) SELECT new_lead.id, unnest(listing_ids);
  SELECT * INTO new_lead FROM lead WHERE id = new_lead.id;

  PERFORM pg_advisory_xact_lock(72100001);
  SELECT hash, leaf_index + 1 INTO prev, next_leaf FROM audit_event ORDER BY leaf_index DESC LIMIT 1;
  prev := coalesce(prev, repeat('0', 64));
  next_seq := nextval(pg_get_serial_sequence('audit_event', 'seq'));
  after_text := '{"brandIds":' || bench.json_ids(ARRAY[brand]) || ',"closeNote":null,"closeReason":null,"investigationId":null'
    || ',"listingIds":' || bench.json_ids(listing_ids) || ',"reference":' || bench.json_text(new_lead.reference)
    || ',"riskScore":' || new_lead.risk_score || ',"sellerIds":' || bench.json_ids(seller_ids)
    || ',"status":' || bench.json_text(new_lead.status) || ',"version":' || new_lead.version || '}';
  content := '{"action":"lead.reported","actorId":' || bench.json_text(principal_row.id::text)
    || ',"actorLabel":' || bench.json_text(principal_row.name || ' (' || principal_row.role || ')')
    || ',"after":' || after_text
    || ',"at":' || bench.json_text(to_char(event_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))
    || ',"before":null,"entityId":' || bench.json_text(new_lead.id::text) || ',"entityType":"Lead","requestId":null'
    || ',"seq":' || bench.json_text(next_seq::text) || '}';
  -- The leaf of the audit log's Merkle tree (dense, under the lock); unsigned: the log's Ed25519 key is the
  -- server's, outside the database, so `audit verify` names these events UNSIGNED (the chain itself holds).
  INSERT INTO audit_event (seq, at, actor_id, actor_label, action, entity_type, entity_id, before, after, request_id, prev_hash, hash, leaf_index)
    VALUES (next_seq, event_at, principal_row.id, principal_row.name || ' (' || principal_row.role || ')', 'lead.reported', 'Lead', new_lead.id,
            NULL, after_text::jsonb, NULL, prev, encode(sha256(convert_to(prev || E'\n' || content, 'UTF8')), 'hex'), coalesce(next_leaf, 0));
  RETURN new_lead;
END $fn$;
