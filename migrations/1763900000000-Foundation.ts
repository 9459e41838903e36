import { MigrationInterface, QueryRunner } from 'typeorm';

/** Brands, agencies, sellers and their identifiers, listings, principals and API keys. */
export class Foundation1763900000000 implements MigrationInterface {
  name = 'Foundation1763900000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE brand (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
        slug text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
        status text NOT NULL CHECK (status IN ('ACTIVE', 'SUSPENDED')),
        version int NOT NULL DEFAULT 1
      );
      CREATE INDEX brand_name_idx ON brand (name, id);

      CREATE TABLE trademark (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        brand_id bigint NOT NULL REFERENCES brand(id),
        mark text NOT NULL,
        registration_number text NOT NULL,
        jurisdiction text NOT NULL,
        nice_classes int[] NOT NULL DEFAULT '{}',
        UNIQUE (jurisdiction, registration_number)
      );
      CREATE INDEX trademark_brand_idx ON trademark (brand_id);

      CREATE TABLE agency (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        name text NOT NULL,
        code text NOT NULL UNIQUE,
        kind text NOT NULL CHECK (kind IN ('PUBLIC_SECURITY', 'MARKET_REGULATION', 'CUSTOMS', 'IP_OFFICE', 'PROSECUTOR', 'OTHER')),
        jurisdiction text NOT NULL
      );

      CREATE TABLE seller (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        platform text NOT NULL,
        external_id text NOT NULL,
        display_name text NOT NULL,
        region text NOT NULL CHECK (region ~ '^[A-Z]{2}(-[A-Z0-9]{1,3})?$'),
        status text NOT NULL CHECK (status IN ('ACTIVE', 'WARNED', 'RESTRICTED', 'SUSPENDED', 'CLOSED')),
        strike_count int NOT NULL DEFAULT 0 CHECK (strike_count >= 0),
        version int NOT NULL DEFAULT 1,
        UNIQUE (platform, external_id)
      );
      CREATE INDEX seller_created_idx ON seller (created_at, id);
      CREATE INDEX seller_region_idx ON seller (region, created_at, id);

      CREATE TABLE seller_identifier (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        seller_id bigint NOT NULL REFERENCES seller(id),
        kind text NOT NULL CHECK (kind IN ('PAYMENT_ACCOUNT', 'PHONE', 'EMAIL', 'ADDRESS', 'DEVICE', 'BUSINESS_LICENSE', 'BANK_ACCOUNT')),
        value_hash text NOT NULL CHECK (value_hash ~ '^[0-9a-f]{64}$'),
        UNIQUE (seller_id, kind, value_hash)
      );
      -- Linking sellers: who else is known by this identifier?
      CREATE INDEX seller_identifier_value_idx ON seller_identifier (kind, value_hash);

      CREATE TABLE listing (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        seller_id bigint NOT NULL REFERENCES seller(id),
        brand_id bigint NOT NULL REFERENCES brand(id),
        title text NOT NULL,
        url text NOT NULL,
        price_amount bigint NOT NULL CHECK (price_amount >= 0),
        price_currency char(3) NOT NULL CHECK (price_currency ~ '^[A-Z]{3}$'),
        status text NOT NULL CHECK (status IN ('LIVE', 'TAKEN_DOWN', 'REINSTATED')),
        taken_down_at timestamptz(3),
        version int NOT NULL DEFAULT 1
      );
      CREATE INDEX listing_created_idx ON listing (created_at, id);
      CREATE INDEX listing_brand_idx ON listing (brand_id, created_at, id);
      CREATE INDEX listing_seller_idx ON listing (seller_id, created_at, id);

      CREATE TABLE principal (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        name text NOT NULL,
        role text NOT NULL CHECK (role IN ('ADMIN', 'INVESTIGATOR', 'ANALYST', 'BRAND_PARTNER', 'AGENCY_LIAISON')),
        brand_id bigint REFERENCES brand(id),
        agency_id bigint REFERENCES agency(id),
        -- A brand partner belongs to exactly one brand, a liaison to one agency, nobody else to either.
        CHECK ((role = 'BRAND_PARTNER') = (brand_id IS NOT NULL)),
        CHECK ((role = 'AGENCY_LIAISON') = (agency_id IS NOT NULL))
      );

      CREATE TABLE api_key (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        created_at timestamptz(3) NOT NULL DEFAULT now(),
        principal_id bigint NOT NULL REFERENCES principal(id),
        name text NOT NULL,
        token_prefix text NOT NULL,
        token_hash text NOT NULL UNIQUE,
        revoked_at timestamptz(3)
      );
      CREATE INDEX api_key_principal_idx ON api_key (principal_id);

      -- Append-only, hash-chained record of every change. Written under one advisory lock, so seq is
      -- commit order. The application never updates or deletes it.
      CREATE TABLE audit_event (
        seq bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
        at timestamptz(3) NOT NULL,
        actor_id bigint REFERENCES principal(id),
        actor_label text NOT NULL,
        action text NOT NULL,
        entity_type text NOT NULL,
        entity_id bigint NOT NULL,
        before jsonb,
        after jsonb,
        request_id text,
        prev_hash text NOT NULL,
        hash text NOT NULL
      );
      CREATE INDEX audit_event_entity_idx ON audit_event (entity_type, entity_id, seq);
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE audit_event, api_key, principal, listing, seller_identifier, seller, agency, trademark, brand`);
  }
}
