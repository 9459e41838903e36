import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The enforcement policy (issue 14, points 6 and 7; docs/enforcement-policy.md, src/modules/enforcement-policy).
 *
 * - `eca_report_decision(status, close_reason)`: what a brand's report (a lead) proved, CONFIRMED, REJECTED or
 *   UNDECIDED. The SQL twin of `reportDecision` in the policy module; test/policy compares the two over every
 *   status and close reason.
 * - `brand_report_stats (brand_id, day, reported, confirmed, rejected)`: per brand and UTC day of report, its
 *   BRAND_REPORT leads and how they are decided now. Kept exact by statement-level triggers on `lead_brand`
 *   (a lead naming a brand) and `lead` (a decision, a source or a creation day that changes), in the
 *   transaction of the write, like `listing_takedown_day`: the fast track of a report reads one index range
 *   (the brand's days of the window) instead of the brand's whole report history. Filled from the leads as
 *   they are. Readable in the scope of the brand; written by the triggers alone. The triggers' statements are
 *   run with EXECUTE, planned for the rows at hand: a plan cached by a connection while the tables were small
 *   (a nested loop over a sequential scan of lead) made a bulk insert of 30,000 rows quadratic.
 * - `lead.reporter_priority`: the reporter's own priority, kept apart from the risk score that triage sets.
 *   Carried over: a lead reported by a brand partner gets the `riskScore` its `lead.reported` audit event
 *   recorded (what the brand sent). Its `risk_score` is left as it is: a report still untriaged keeps the
 *   brand's value until an investigator triages it (audited changes only; docs/enforcement-policy.md).
 * - `seller_strike (seller_id, listing_id, takedown_at, expires_at, removed_at, reason, removed_reason)`: one
 *   row per strike; a strike is active while not removed and not expired, and `seller.strike_count` is the
 *   active strikes as counted by the transaction that last changed them. Carried over by
 *   `seller_strike_carry_over`: every seller gets as many active strikes as its `strike_count`, linked to its
 *   listings taken down (latest first, at their takedown time) as far as they go, the rest without a listing
 *   (at the migration's time); all expire 365 days (the default STRIKE_EXPIRY_DAYS) after the migration, so
 *   that no seller's count or status changes by the migration itself. The seed fills it the same way.
 */
export class EnforcementPolicy1764001300000 implements MigrationInterface {
  name = 'EnforcementPolicy1764001300000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION eca_report_decision(status text, close_reason text) RETURNS text
        LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fn$
          SELECT CASE
            WHEN $2 IN ('RESOLVED_BY_TAKEDOWN', 'CASE_CONCLUDED') THEN 'CONFIRMED'
            WHEN $2 IN ('NOT_COUNTERFEIT', 'INSUFFICIENT_EVIDENCE') THEN 'REJECTED'
            WHEN $2 IS NOT NULL THEN 'UNDECIDED'
            WHEN $1 = 'REFERRED' THEN 'CONFIRMED'
            ELSE 'UNDECIDED' END
      $fn$;

      CREATE TABLE brand_report_stats (
        brand_id bigint NOT NULL REFERENCES brand(id),
        day date NOT NULL,
        -- (no CHECK >= 0: an INSERT ... ON CONFLICT checks the proposed row, a negative change, before the update)
        reported int NOT NULL,
        confirmed int NOT NULL,
        rejected int NOT NULL,
        PRIMARY KEY (brand_id, day)
      );
      ALTER TABLE brand_report_stats ENABLE ROW LEVEL SECURITY;
      CREATE POLICY scope ON brand_report_stats USING (eca_scope() = 'ALL' OR eca_brand_visible(brand_id));
      GRANT SELECT ON brand_report_stats TO eca_app;
      REVOKE INSERT, UPDATE, DELETE ON brand_report_stats FROM eca_app;

      -- Adds signed counts per (brand, day), in key order (concurrent writers lock the counter rows in the
      -- same order), dropping the days that fall to zero.
      CREATE FUNCTION brand_report_stats_add(changes jsonb) RETURNS void
        LANGUAGE sql SECURITY DEFINER SET search_path = public AS $fn$
          INSERT INTO brand_report_stats AS s (brand_id, day, reported, confirmed, rejected)
            SELECT c.brand_id, c.day, c.reported, c.confirmed, c.rejected
            FROM jsonb_to_recordset(changes) AS c(brand_id bigint, day date, reported int, confirmed int, rejected int) ORDER BY c.brand_id, c.day
            ON CONFLICT (brand_id, day) DO UPDATE
              SET reported = s.reported + EXCLUDED.reported, confirmed = s.confirmed + EXCLUDED.confirmed, rejected = s.rejected + EXCLUDED.rejected;
          DELETE FROM brand_report_stats s USING jsonb_to_recordset(changes) AS c(brand_id bigint, day date)
            WHERE s.brand_id = c.brand_id AND s.day = c.day AND s.reported = 0 AND s.confirmed = 0 AND s.rejected = 0;
      $fn$;

      -- A lead naming a brand (added, removed, moved): its report counts, as decided now, for that brand.
      -- Only the triggers below (as the owner) may add counts: not the API's role, nor anyone else.
      REVOKE EXECUTE ON FUNCTION brand_report_stats_add(jsonb) FROM PUBLIC;

      CREATE FUNCTION brand_report_stats_lead_brand() RETURNS trigger
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $fn$
      DECLARE
        changes jsonb;
      BEGIN
        IF TG_OP = 'TRUNCATE' THEN
          DELETE FROM brand_report_stats;
          RETURN NULL;
        END IF;
        IF TG_OP = 'INSERT' THEN
          EXECUTE $q$ SELECT jsonb_agg(c) FROM (
            SELECT x.brand_id, (l.created_at AT TIME ZONE 'UTC')::date AS day, count(*)::int AS reported,
                   count(*) FILTER (WHERE eca_report_decision(l.status, l.close_reason) = 'CONFIRMED')::int AS confirmed,
                   count(*) FILTER (WHERE eca_report_decision(l.status, l.close_reason) = 'REJECTED')::int AS rejected
            FROM new_rows x JOIN lead l ON l.id = x.lead_id WHERE l.source = 'BRAND_REPORT' GROUP BY 1, 2) c $q$ INTO changes;
        ELSIF TG_OP = 'DELETE' THEN
          EXECUTE $q$ SELECT jsonb_agg(c) FROM (
            SELECT o.brand_id, (l.created_at AT TIME ZONE 'UTC')::date AS day, -count(*)::int AS reported,
                   -count(*) FILTER (WHERE eca_report_decision(l.status, l.close_reason) = 'CONFIRMED')::int AS confirmed,
                   -count(*) FILTER (WHERE eca_report_decision(l.status, l.close_reason) = 'REJECTED')::int AS rejected
            FROM old_rows o JOIN lead l ON l.id = o.lead_id WHERE l.source = 'BRAND_REPORT' GROUP BY 1, 2) c $q$ INTO changes;
        ELSE
          EXECUTE $q$ SELECT jsonb_agg(c) FROM (
            SELECT t.brand_id, t.day, sum(t.n)::int AS reported, sum(t.c)::int AS confirmed, sum(t.r)::int AS rejected FROM (
              SELECT o.brand_id, (l.created_at AT TIME ZONE 'UTC')::date AS day, -1 AS n,
                     -(eca_report_decision(l.status, l.close_reason) = 'CONFIRMED')::int AS c, -(eca_report_decision(l.status, l.close_reason) = 'REJECTED')::int AS r
              FROM old_rows o JOIN lead l ON l.id = o.lead_id WHERE l.source = 'BRAND_REPORT'
              UNION ALL
              SELECT x.brand_id, (l.created_at AT TIME ZONE 'UTC')::date, 1,
                     (eca_report_decision(l.status, l.close_reason) = 'CONFIRMED')::int, (eca_report_decision(l.status, l.close_reason) = 'REJECTED')::int
              FROM new_rows x JOIN lead l ON l.id = x.lead_id WHERE l.source = 'BRAND_REPORT') t
            GROUP BY 1, 2 HAVING sum(t.n) <> 0 OR sum(t.c) <> 0 OR sum(t.r) <> 0) c $q$ INTO changes;
        END IF;
        IF changes IS NOT NULL THEN
          PERFORM brand_report_stats_add(changes);
        END IF;
        RETURN NULL;
      END $fn$;

      -- A lead whose decision, source or creation day changes moves its counts, for every brand it names.
      CREATE FUNCTION brand_report_stats_lead() RETURNS trigger
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $fn$
      DECLARE
        changes jsonb;
      BEGIN
        EXECUTE $q$ SELECT jsonb_agg(c) FROM (
          SELECT t.brand_id, t.day, sum(t.n)::int AS reported, sum(t.c)::int AS confirmed, sum(t.r)::int AS rejected FROM (
            SELECT lb.brand_id, (o.created_at AT TIME ZONE 'UTC')::date AS day, -1 AS n,
                   -(eca_report_decision(o.status, o.close_reason) = 'CONFIRMED')::int AS c, -(eca_report_decision(o.status, o.close_reason) = 'REJECTED')::int AS r
            FROM old_rows o JOIN new_rows x ON x.id = o.id JOIN lead_brand lb ON lb.lead_id = o.id
            WHERE o.source = 'BRAND_REPORT'
              AND (o.source, o.created_at, eca_report_decision(o.status, o.close_reason)) IS DISTINCT FROM (x.source, x.created_at, eca_report_decision(x.status, x.close_reason))
            UNION ALL
            SELECT lb.brand_id, (x.created_at AT TIME ZONE 'UTC')::date, 1,
                   (eca_report_decision(x.status, x.close_reason) = 'CONFIRMED')::int, (eca_report_decision(x.status, x.close_reason) = 'REJECTED')::int
            FROM old_rows o JOIN new_rows x ON x.id = o.id JOIN lead_brand lb ON lb.lead_id = x.id
            WHERE x.source = 'BRAND_REPORT'
              AND (o.source, o.created_at, eca_report_decision(o.status, o.close_reason)) IS DISTINCT FROM (x.source, x.created_at, eca_report_decision(x.status, x.close_reason))) t
          GROUP BY 1, 2 HAVING sum(t.n) <> 0 OR sum(t.c) <> 0 OR sum(t.r) <> 0) c $q$ INTO changes;
        IF changes IS NOT NULL THEN
          PERFORM brand_report_stats_add(changes);
        END IF;
        RETURN NULL;
      END $fn$;

      CREATE TRIGGER brand_report_stats_insert AFTER INSERT ON lead_brand REFERENCING NEW TABLE AS new_rows
        FOR EACH STATEMENT EXECUTE FUNCTION brand_report_stats_lead_brand();
      CREATE TRIGGER brand_report_stats_update AFTER UPDATE ON lead_brand REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
        FOR EACH STATEMENT EXECUTE FUNCTION brand_report_stats_lead_brand();
      CREATE TRIGGER brand_report_stats_delete AFTER DELETE ON lead_brand REFERENCING OLD TABLE AS old_rows
        FOR EACH STATEMENT EXECUTE FUNCTION brand_report_stats_lead_brand();
      CREATE TRIGGER brand_report_stats_truncate AFTER TRUNCATE ON lead_brand
        FOR EACH STATEMENT EXECUTE FUNCTION brand_report_stats_lead_brand();
      CREATE TRIGGER brand_report_stats_lead_update AFTER UPDATE ON lead REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
        FOR EACH STATEMENT EXECUTE FUNCTION brand_report_stats_lead();

      INSERT INTO brand_report_stats (brand_id, day, reported, confirmed, rejected)
        SELECT lb.brand_id, (l.created_at AT TIME ZONE 'UTC')::date, count(*),
               count(*) FILTER (WHERE eca_report_decision(l.status, l.close_reason) = 'CONFIRMED'),
               count(*) FILTER (WHERE eca_report_decision(l.status, l.close_reason) = 'REJECTED')
        FROM lead_brand lb JOIN lead l ON l.id = lb.lead_id WHERE l.source = 'BRAND_REPORT' GROUP BY 1, 2;

      ALTER TABLE lead ADD COLUMN reporter_priority int CHECK (reporter_priority BETWEEN 0 AND 100);
      UPDATE lead l SET reporter_priority = (e.after ->> 'riskScore')::int
        FROM principal p, audit_event e
        WHERE p.id = l.reported_by_id AND p.role = 'BRAND_PARTNER'
          AND e.entity_type = 'Lead' AND e.entity_id = l.id AND e.action = 'lead.reported' AND (e.after ->> 'riskScore') ~ '^[0-9]+$';

      CREATE TABLE seller_strike (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        seller_id bigint NOT NULL REFERENCES seller(id),
        -- null: a strike carried over from a strike count whose listing is not known
        listing_id bigint REFERENCES listing(id),
        takedown_at timestamptz(3) NOT NULL,
        expires_at timestamptz(3) NOT NULL,
        removed_at timestamptz(3),
        reason text NOT NULL,
        removed_reason text,
        CHECK (expires_at > takedown_at),
        CHECK ((removed_at IS NULL) = (removed_reason IS NULL))
      );
      -- The active strikes of a seller; the kept strikes of a listing.
      CREATE INDEX seller_strike_seller_idx ON seller_strike (seller_id, expires_at) WHERE removed_at IS NULL;
      CREATE INDEX seller_strike_listing_idx ON seller_strike (listing_id, takedown_at) WHERE removed_at IS NULL;
      ALTER TABLE seller_strike ENABLE ROW LEVEL SECURITY;
      CREATE POLICY scope ON seller_strike USING (eca_scope() = 'ALL') WITH CHECK (true);
      GRANT SELECT, INSERT, UPDATE ON seller_strike TO eca_app;
      REVOKE DELETE ON seller_strike FROM eca_app;

      -- Gives every seller as many active strikes (at p_at) as its strike_count says, linked to its listings
      -- taken down without a kept strike (latest first, at their takedown time) as far as they go, the rest
      -- without a listing (at p_at); each expires at p_at + p_expiry. Answers the strikes added.
      CREATE FUNCTION seller_strike_carry_over(p_at timestamptz, p_expiry interval, p_note text) RETURNS int
        LANGUAGE sql AS $fn$
          WITH missing AS (
            SELECT v.id AS seller_id,
                   v.strike_count - (SELECT count(*) FROM seller_strike s WHERE s.seller_id = v.id AND s.removed_at IS NULL AND s.expires_at > p_at)::int AS n
            FROM seller v WHERE v.strike_count > 0
          ), slots AS (
            SELECT m.seller_id, g.k FROM missing m CROSS JOIN LATERAL generate_series(1, m.n) AS g(k) WHERE m.n > 0
          ), ranked AS (
            SELECT x.seller_id, x.id AS listing_id, x.taken_down_at,
                   row_number() OVER (PARTITION BY x.seller_id ORDER BY x.taken_down_at DESC, x.id DESC) AS k
            FROM listing x
            WHERE x.seller_id IN (SELECT seller_id FROM missing WHERE n > 0) AND x.status = 'TAKEN_DOWN' AND x.taken_down_at IS NOT NULL
              AND NOT EXISTS (SELECT 1 FROM seller_strike s WHERE s.listing_id = x.id AND s.removed_at IS NULL)
          ), added AS (
            INSERT INTO seller_strike (seller_id, listing_id, takedown_at, expires_at, reason)
            SELECT sl.seller_id, r.listing_id, least(coalesce(r.taken_down_at, p_at), p_at), p_at + p_expiry, p_note
            FROM slots sl LEFT JOIN ranked r ON r.seller_id = sl.seller_id AND r.k = sl.k
            ORDER BY sl.seller_id, sl.k
            RETURNING 1)
          SELECT count(*)::int FROM added
      $fn$;
      REVOKE EXECUTE ON FUNCTION seller_strike_carry_over(timestamptz, interval, text) FROM PUBLIC;
      SELECT seller_strike_carry_over(now(), interval '365 days', 'carried over from strike_count (migration 1764001300000)');
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP FUNCTION seller_strike_carry_over(timestamptz, interval, text);
      DROP TABLE seller_strike;
      ALTER TABLE lead DROP COLUMN reporter_priority;
      DROP TRIGGER brand_report_stats_lead_update ON lead;
      DROP TRIGGER brand_report_stats_truncate ON lead_brand;
      DROP TRIGGER brand_report_stats_delete ON lead_brand;
      DROP TRIGGER brand_report_stats_update ON lead_brand;
      DROP TRIGGER brand_report_stats_insert ON lead_brand;
      DROP FUNCTION brand_report_stats_lead(), brand_report_stats_lead_brand(), brand_report_stats_add(jsonb);
      DROP TABLE brand_report_stats;
      DROP FUNCTION eca_report_decision(text, text);
    `);
  }
}
