import { MigrationInterface, QueryRunner } from 'typeorm';

/** Leads, investigations and their findings, evidence and custody, referrals, outcomes, the agency feed. */
export class CaseLifecycle1763900100000 implements MigrationInterface {
  name = 'CaseLifecycle1763900100000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      -- Human-readable references (LD-2026-000123): one counter row per prefix and year, incremented
      -- under its row lock, so that concurrent creations never get the same number.
      CREATE TABLE reference_counter (
        prefix text NOT NULL,
        year int NOT NULL,
        last_value int NOT NULL,
        PRIMARY KEY (prefix, year)
      );

      CREATE TABLE investigation (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        reference text NOT NULL UNIQUE,
        status text NOT NULL CHECK (status IN ('OPEN', 'EVIDENCE_GATHERING', 'READY_FOR_REFERRAL', 'REFERRED', 'CLOSED')),
        summary text NOT NULL,
        internal_notes text,
        assignee_id bigint REFERENCES principal(id),
        close_reason text,
        closed_at timestamptz(3),
        version int NOT NULL DEFAULT 1
      );
      CREATE INDEX investigation_created_idx ON investigation (created_at, id);
      CREATE INDEX investigation_status_idx ON investigation (status, created_at, id);

      CREATE TABLE lead (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        reference text NOT NULL UNIQUE,
        source text NOT NULL CHECK (source IN ('BRAND_REPORT', 'PLATFORM_DETECTION', 'TEST_PURCHASE', 'TIP', 'AGENCY', 'REPEAT_OFFENDER_MATCH')),
        description text NOT NULL,
        risk_score int NOT NULL DEFAULT 50 CHECK (risk_score BETWEEN 0 AND 100),
        status text NOT NULL CHECK (status IN ('NEW', 'TRIAGED', 'INVESTIGATING', 'REFERRED', 'CLOSED')),
        close_reason text CHECK (close_reason IN ('NOT_COUNTERFEIT', 'INSUFFICIENT_EVIDENCE', 'DUPLICATE', 'RESOLVED_BY_TAKEDOWN', 'INVESTIGATION_CLOSED', 'CASE_CONCLUDED', 'OTHER')),
        close_note text,
        internal_notes text,
        reported_by_id bigint REFERENCES principal(id),
        investigation_id bigint REFERENCES investigation(id),
        triaged_at timestamptz(3),
        closed_at timestamptz(3),
        version int NOT NULL DEFAULT 1,
        CHECK ((status = 'CLOSED') = (close_reason IS NOT NULL))
      );
      CREATE INDEX lead_created_idx ON lead (created_at, id);
      CREATE INDEX lead_status_idx ON lead (status, created_at, id);
      CREATE INDEX lead_investigation_idx ON lead (investigation_id);

      CREATE TABLE lead_brand (
        lead_id bigint NOT NULL REFERENCES lead(id),
        brand_id bigint NOT NULL REFERENCES brand(id),
        PRIMARY KEY (lead_id, brand_id)
      );
      CREATE INDEX lead_brand_brand_idx ON lead_brand (brand_id, lead_id);

      CREATE TABLE lead_seller (
        lead_id bigint NOT NULL REFERENCES lead(id),
        seller_id bigint NOT NULL REFERENCES seller(id),
        PRIMARY KEY (lead_id, seller_id)
      );
      CREATE INDEX lead_seller_seller_idx ON lead_seller (seller_id, lead_id);

      CREATE TABLE lead_listing (
        lead_id bigint NOT NULL REFERENCES lead(id),
        listing_id bigint NOT NULL REFERENCES listing(id),
        PRIMARY KEY (lead_id, listing_id)
      );
      CREATE INDEX lead_listing_listing_idx ON lead_listing (listing_id, lead_id);

      CREATE TABLE finding (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        investigation_id bigint NOT NULL REFERENCES investigation(id),
        kind text NOT NULL CHECK (kind IN ('FACTORY', 'WAREHOUSE', 'WORKSHOP', 'RETAIL')),
        region text NOT NULL CHECK (region ~ '^[A-Z]{2}(-[A-Z0-9]{1,3})?$'),
        address text NOT NULL,
        notes text
      );
      CREATE INDEX finding_investigation_idx ON finding (investigation_id);

      CREATE TABLE evidence (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        investigation_id bigint NOT NULL REFERENCES investigation(id),
        kind text NOT NULL CHECK (kind IN ('TEST_PURCHASE', 'SCREENSHOT', 'LAB_REPORT', 'TRANSACTION_RECORD', 'PHOTO', 'DOCUMENT')),
        description text NOT NULL,
        sha256 text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
        storage_key text NOT NULL,
        collected_by text NOT NULL,
        collected_at timestamptz(3) NOT NULL,
        custodian text NOT NULL,
        version int NOT NULL DEFAULT 1,
        UNIQUE (investigation_id, sha256)
      );
      CREATE INDEX evidence_investigation_idx ON evidence (investigation_id, created_at, id);

      CREATE TABLE custody_transfer (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        evidence_id bigint NOT NULL REFERENCES evidence(id),
        from_custodian text NOT NULL,
        to_custodian text NOT NULL,
        transferred_at timestamptz(3) NOT NULL,
        purpose text NOT NULL,
        recorded_by_id bigint REFERENCES principal(id)
      );
      CREATE INDEX custody_transfer_evidence_idx ON custody_transfer (evidence_id, id);

      CREATE TABLE referral (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        reference text NOT NULL UNIQUE,
        investigation_id bigint NOT NULL REFERENCES investigation(id),
        agency_id bigint NOT NULL REFERENCES agency(id),
        status text NOT NULL CHECK (status IN ('DRAFT', 'SENT', 'ACKNOWLEDGED', 'ACTION_TAKEN', 'PROSECUTION', 'CONVICTED', 'ACQUITTED', 'DECLINED', 'CLOSED')),
        summary text NOT NULL,
        agency_case_reference text,
        decline_reason text,
        sent_at timestamptz(3),
        acknowledged_at timestamptz(3),
        first_action_at timestamptz(3),
        concluded_at timestamptz(3),
        closed_at timestamptz(3),
        version int NOT NULL DEFAULT 1
      );
      CREATE INDEX referral_created_idx ON referral (created_at, id);
      CREATE INDEX referral_agency_idx ON referral (agency_id, created_at, id);
      CREATE INDEX referral_investigation_idx ON referral (investigation_id);

      CREATE TABLE referral_evidence (
        referral_id bigint NOT NULL REFERENCES referral(id),
        evidence_id bigint NOT NULL REFERENCES evidence(id),
        PRIMARY KEY (referral_id, evidence_id)
      );
      CREATE INDEX referral_evidence_evidence_idx ON referral_evidence (evidence_id, referral_id);

      CREATE TABLE enforcement_outcome (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        referral_id bigint NOT NULL REFERENCES referral(id),
        kind text NOT NULL CHECK (kind IN ('RAID', 'ARREST', 'SEIZURE', 'PROSECUTION', 'CONVICTION', 'ACQUITTAL', 'FINE')),
        occurred_at timestamptz(3) NOT NULL,
        arrests int NOT NULL DEFAULT 0 CHECK (arrests >= 0),
        dens_destroyed int NOT NULL DEFAULT 0 CHECK (dens_destroyed >= 0),
        convictions int NOT NULL DEFAULT 0 CHECK (convictions >= 0),
        seized_value_amount bigint CHECK (seized_value_amount >= 0),
        seized_value_currency char(3) CHECK (seized_value_currency ~ '^[A-Z]{3}$'),
        fine_amount bigint CHECK (fine_amount >= 0),
        fine_currency char(3) CHECK (fine_currency ~ '^[A-Z]{3}$'),
        notes text,
        recorded_by_id bigint REFERENCES principal(id),
        CHECK ((seized_value_amount IS NULL) = (seized_value_currency IS NULL)),
        CHECK ((fine_amount IS NULL) = (fine_currency IS NULL))
      );
      CREATE INDEX enforcement_outcome_referral_idx ON enforcement_outcome (referral_id, occurred_at, id);

      -- The agencies' sync feed: one row per change of a referral after it was sent. Written under the
      -- audit chain's lock, so seq order is commit order and a client's cursor never skips a late commit.
      CREATE TABLE referral_change (
        seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        at timestamptz(3) NOT NULL DEFAULT now(),
        referral_id bigint NOT NULL REFERENCES referral(id),
        agency_id bigint NOT NULL REFERENCES agency(id),
        kind text NOT NULL,
        status text NOT NULL,
        outcome_id bigint REFERENCES enforcement_outcome(id)
      );
      CREATE INDEX referral_change_agency_idx ON referral_change (agency_id, seq);

      -- Retried create-style mutations: the same key and caller give back the first result.
      CREATE TABLE idempotency_key (
        principal_id bigint NOT NULL REFERENCES principal(id),
        key text NOT NULL,
        operation text NOT NULL,
        request_hash text NOT NULL,
        result_type text,
        result_id bigint,
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        PRIMARY KEY (principal_id, key)
      );
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE idempotency_key, referral_change, enforcement_outcome, referral_evidence, referral,
      custody_transfer, evidence, finding, lead_listing, lead_seller, lead_brand, lead, investigation, reference_counter`);
  }
}
