import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Analytics (src/modules/analytics): the indexes its aggregates need, the seller-network rollup and the
 * two functions that read the identifier graph on behalf of scoped callers.
 *
 * - `seller_network`: connected components of the graph "two sellers share an identifier (kind, value
 *   hash)", one row per seller in a component of 2 or more, refreshed by `refresh_seller_network()`
 *   (label propagation with pointer jumping, in the database). `analytics_rollup` says when each rollup
 *   was last refreshed, which the API reports as `asOf`.
 * - `seller_offence`: every seller's leads, takedowns and strikes over all cases, refreshed by
 *   `refresh_seller_offence()`, for the one ranking that aggregates the whole marketplace.
 * - `seller_network_reach(start, max_depth, max_rows)`: the sellers within `max_depth` shared identifiers
 *   of one seller, breadth first, at most `max_rows` rows of the traversal; `seller_network_links(ids)`:
 *   the identifiers shared between pairs of the given sellers. Both read `seller_identifier`, which only
 *   internal roles may read, so they are SECURITY DEFINER: they answer the link structure, the service
 *   keeps every seller to the caller's scope and hands identifier kinds and hashes to internal roles only.
 */
export class Analytics1763900300000 implements MigrationInterface {
  name = 'Analytics1763900300000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      -- Series of listing takedowns (the listing's last takedown) by time, all brands or one brand's.
      CREATE INDEX listing_taken_down_idx ON listing (taken_down_at) WHERE taken_down_at IS NOT NULL;
      CREATE INDEX listing_brand_taken_down_idx ON listing (brand_id, taken_down_at) WHERE taken_down_at IS NOT NULL;
      -- Takedowns per seller (repeat offenders, network totals).
      CREATE INDEX listing_seller_taken_down_idx ON listing (seller_id, taken_down_at) WHERE taken_down_at IS NOT NULL;
      -- Series read from the audit trail (reinstatements, seller sanctions, repeated takedowns).
      CREATE INDEX audit_event_action_at_idx ON audit_event (action, at);
      -- Outcomes by period, and the outcomes of a referral by kind (funnel stages).
      CREATE INDEX enforcement_outcome_occurred_idx ON enforcement_outcome (occurred_at);
      CREATE INDEX enforcement_outcome_referral_kind_idx ON enforcement_outcome (referral_id, kind);

      CREATE TABLE analytics_rollup (
        name text PRIMARY KEY,
        refreshed_at timestamptz(3) NOT NULL,
        duration_ms int NOT NULL,
        row_count bigint NOT NULL
      );

      CREATE TABLE seller_network (
        seller_id bigint PRIMARY KEY REFERENCES seller(id),
        -- The smallest seller id of the component: stable while the component keeps that seller.
        network_id bigint NOT NULL,
        network_size int NOT NULL CHECK (network_size >= 2)
      );
      CREATE INDEX seller_network_network_idx ON seller_network (network_id, seller_id);

      CREATE FUNCTION refresh_seller_network() RETURNS bigint
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = public SET work_mem = '256MB' AS $fn$
      DECLARE
        started timestamptz := clock_timestamp();
        changed bigint;
        rounds int := 0;
        total bigint;
      BEGIN
        -- One refresh at a time; a caller that finds one running keeps the current rollup.
        IF NOT pg_try_advisory_xact_lock(72100002) THEN
          RETURN -1;
        END IF;
        DROP TABLE IF EXISTS pg_temp.sn_member, pg_temp.sn_label;
        -- Identifiers shared by two or more sellers, numbered; each seller's memberships. (A seller holds
        -- a (kind, value) once: UNIQUE (seller_id, kind, value_hash), so count(*) counts sellers.)
        CREATE TEMP TABLE sn_member ON COMMIT DROP AS
          SELECT si.seller_id, g.grp
          FROM seller_identifier si
          JOIN (SELECT kind, value_hash, row_number() OVER () AS grp
                FROM seller_identifier GROUP BY kind, value_hash HAVING count(*) > 1) g
            ON g.kind = si.kind AND g.value_hash = si.value_hash;
        CREATE INDEX ON sn_member (grp);
        CREATE INDEX ON sn_member (seller_id);
        CREATE TEMP TABLE sn_label ON COMMIT DROP AS SELECT DISTINCT seller_id, seller_id AS label FROM sn_member;
        ALTER TABLE sn_label ADD PRIMARY KEY (seller_id);
        ANALYZE sn_member;
        ANALYZE sn_label;
        LOOP
          rounds := rounds + 1;
          -- Every seller takes the smallest label among the sellers it shares an identifier with...
          WITH group_min AS (
                 SELECT m.grp, min(l.label) AS label FROM sn_member m JOIN sn_label l ON l.seller_id = m.seller_id GROUP BY m.grp),
               seller_min AS (
                 SELECT m.seller_id, min(g.label) AS label FROM sn_member m JOIN group_min g ON g.grp = m.grp GROUP BY m.seller_id)
          UPDATE sn_label l SET label = s.label FROM seller_min s WHERE s.seller_id = l.seller_id AND s.label < l.label;
          GET DIAGNOSTICS changed = ROW_COUNT;
          -- ...and jumps to its label's label, so that long chains converge in few rounds.
          UPDATE sn_label l SET label = p.label FROM sn_label p WHERE p.seller_id = l.label AND p.label < l.label;
          EXIT WHEN changed = 0 OR rounds >= 500;
        END LOOP;
        DELETE FROM seller_network;
        INSERT INTO seller_network (seller_id, network_id, network_size)
          SELECT seller_id, label, count(*) OVER (PARTITION BY label) FROM sn_label;
        GET DIAGNOSTICS total = ROW_COUNT;
        INSERT INTO analytics_rollup (name, refreshed_at, duration_ms, row_count)
          VALUES ('seller_network', started, (extract(epoch FROM clock_timestamp() - started) * 1000)::int, total)
          ON CONFLICT (name) DO UPDATE SET refreshed_at = EXCLUDED.refreshed_at, duration_ms = EXCLUDED.duration_ms, row_count = EXCLUDED.row_count;
        RETURN total;
      END $fn$;

      -- Every seller's record over every case (leads naming it, its listings taken down, its strikes when
      -- computed): ranks repeat offenders for internal roles without a filter, the one ranking that must
      -- aggregate the whole marketplace (seconds at scale 10, see docs/analytics.md). Filtered or scoped
      -- rankings are computed live.
      CREATE TABLE seller_offence (
        seller_id bigint PRIMARY KEY REFERENCES seller(id),
        strikes int NOT NULL,
        leads int NOT NULL,
        takedowns int NOT NULL
      );
      CREATE INDEX seller_offence_strikes_idx ON seller_offence (strikes DESC, leads DESC, takedowns DESC, seller_id);
      CREATE INDEX seller_offence_leads_idx ON seller_offence (leads DESC, strikes DESC, takedowns DESC, seller_id);
      CREATE INDEX seller_offence_takedowns_idx ON seller_offence (takedowns DESC, strikes DESC, leads DESC, seller_id);

      CREATE FUNCTION refresh_seller_offence() RETURNS bigint
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = public SET work_mem = '256MB' AS $fn$
      DECLARE
        started timestamptz := clock_timestamp();
        total bigint;
      BEGIN
        IF NOT pg_try_advisory_xact_lock(72100003) THEN
          RETURN -1;
        END IF;
        DELETE FROM seller_offence;
        INSERT INTO seller_offence (seller_id, strikes, leads, takedowns)
          SELECT v.id, v.strike_count, coalesce(lc.leads, 0), coalesce(tc.takedowns, 0)
          FROM (SELECT seller_id, count(*) AS leads FROM lead_seller GROUP BY seller_id) lc
          FULL JOIN (SELECT seller_id, count(*) AS takedowns FROM listing WHERE taken_down_at IS NOT NULL GROUP BY seller_id) tc USING (seller_id)
          JOIN seller v ON v.id = coalesce(lc.seller_id, tc.seller_id);
        GET DIAGNOSTICS total = ROW_COUNT;
        INSERT INTO analytics_rollup (name, refreshed_at, duration_ms, row_count)
          VALUES ('seller_offence', started, (extract(epoch FROM clock_timestamp() - started) * 1000)::int, total)
          ON CONFLICT (name) DO UPDATE SET refreshed_at = EXCLUDED.refreshed_at, duration_ms = EXCLUDED.duration_ms, row_count = EXCLUDED.row_count;
        RETURN total;
      END $fn$;

      -- Breadth first from one seller over shared identifiers. UNION (not UNION ALL) drops a seller met
      -- again at the same depth, the depth bound ends cycles, and the caller reads at most max_rows rows,
      -- which stops the traversal early (PostgreSQL evaluates a recursive query only as far as it is read).
      CREATE FUNCTION seller_network_reach(start_seller bigint, max_depth int, max_rows int)
        RETURNS TABLE (seller_id bigint, depth int, rows_read int)
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $fn$
          WITH RECURSIVE reach(seller_id, depth) AS (
            SELECT start_seller, 0
            UNION
            SELECT other.seller_id, r.depth + 1
            FROM reach r
            JOIN seller_identifier mine ON mine.seller_id = r.seller_id
            JOIN seller_identifier other ON other.kind = mine.kind AND other.value_hash = mine.value_hash AND other.seller_id <> mine.seller_id
            WHERE r.depth < least(max_depth, 4)
          ),
          bounded AS (SELECT * FROM reach LIMIT max_rows)
          SELECT b.seller_id, min(b.depth)::int, (SELECT count(*) FROM bounded)::int FROM bounded b GROUP BY b.seller_id
      $fn$;

      -- The identifiers shared between pairs of the given sellers (seller_a < seller_b).
      CREATE FUNCTION seller_network_links(seller_ids bigint[])
        RETURNS TABLE (seller_a bigint, seller_b bigint, kind text, value_hash text)
        LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public AS $fn$
          SELECT a.seller_id, b.seller_id, a.kind, a.value_hash
          FROM seller_identifier a
          JOIN seller_identifier b ON b.kind = a.kind AND b.value_hash = a.value_hash AND b.seller_id > a.seller_id
          WHERE a.seller_id = ANY (seller_ids) AND b.seller_id = ANY (seller_ids)
      $fn$;
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP FUNCTION seller_network_links(bigint[]), seller_network_reach(bigint, int, int), refresh_seller_network(), refresh_seller_offence();
      DROP TABLE seller_offence, seller_network, analytics_rollup;
      DROP INDEX enforcement_outcome_referral_kind_idx, enforcement_outcome_occurred_idx, audit_event_action_at_idx,
        listing_seller_taken_down_idx, listing_brand_taken_down_idx, listing_taken_down_idx;
    `);
  }
}
