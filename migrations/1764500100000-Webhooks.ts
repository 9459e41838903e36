import { MigrationInterface, QueryRunner } from 'typeorm';
import { applyPolicies } from '../src/shared/data-access/policies.sql.js';

/**
 * Signed webhooks (README, "Webhooks"):
 * - `webhook_subscription`: a principal's receiver URL, the event types it wants and its signing secrets (the
 *   current one, and the previous one until `previous_secret_expires_at` during a rotation). The API's role
 *   never reads the secrets back (no SELECT on those columns): only the delivery worker, as the owner, does.
 * - `webhook_event`: the outbox, written with the audit events of a change in its COMMIT round trip
 *   (src/shared/audit/webhook-outbox.ts), keyed by the audit event's seq (commit order). The API's role may
 *   only insert into it.
 * - `webhook_delivery`: one per event and subscription whose principal may read the record (fan-out, by the
 *   worker), with its attempts: the delivery log a subscriber reads, and `redeliver` revives.
 */
export class Webhooks1764500100000 implements MigrationInterface {
  name = 'Webhooks1764500100000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE webhook_subscription (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        created_at timestamptz NOT NULL DEFAULT now(),
        principal_id bigint NOT NULL REFERENCES principal (id),
        url text NOT NULL,
        events text[] NOT NULL CHECK (cardinality(events) > 0),
        secret text NOT NULL,
        previous_secret text,
        previous_secret_expires_at timestamptz,
        paused boolean NOT NULL DEFAULT false,
        version integer NOT NULL DEFAULT 1
      );
      CREATE INDEX webhook_subscription_principal ON webhook_subscription (principal_id);

      CREATE TABLE webhook_event (
        seq bigint PRIMARY KEY,
        id uuid NOT NULL UNIQUE,
        type text NOT NULL,
        record_type text NOT NULL,
        record_id bigint NOT NULL,
        version integer,
        occurred_at timestamptz NOT NULL,
        fanned_out_at timestamptz
      );
      CREATE INDEX webhook_event_to_fan_out ON webhook_event (seq) WHERE fanned_out_at IS NULL;

      CREATE TABLE webhook_delivery (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        created_at timestamptz NOT NULL DEFAULT now(),
        subscription_id bigint NOT NULL REFERENCES webhook_subscription (id) ON DELETE CASCADE,
        event_seq bigint NOT NULL REFERENCES webhook_event (seq),
        event_id uuid NOT NULL,
        event_type text NOT NULL,
        status text NOT NULL DEFAULT 'PENDING' CHECK (status IN ('PENDING', 'DELIVERED', 'DEAD')),
        attempts integer NOT NULL DEFAULT 0,
        next_attempt_at timestamptz NOT NULL DEFAULT now(),
        last_attempt_at timestamptz,
        last_response_status integer,
        last_error text,
        delivered_at timestamptz,
        version integer NOT NULL DEFAULT 1,
        UNIQUE (subscription_id, event_seq)
      );
      CREATE INDEX webhook_delivery_pending ON webhook_delivery (subscription_id, event_seq) WHERE status = 'PENDING';

      REVOKE SELECT, UPDATE ON webhook_subscription FROM eca_app;
      GRANT SELECT (id, created_at, principal_id, url, events, paused, version, previous_secret_expires_at)
        ON webhook_subscription TO eca_app;
      GRANT UPDATE (url, events, paused, version, secret, previous_secret_expires_at) ON webhook_subscription TO eca_app;

      -- A rotation keeps the current secret as the previous one: the API's role writes the new secret and never
      -- reads the old (a trigger sees OLD without column privileges).
      CREATE FUNCTION eca_webhook_secret_rotated() RETURNS trigger LANGUAGE plpgsql SET search_path = public, pg_temp AS $fn$
      BEGIN
        IF NEW.secret IS DISTINCT FROM OLD.secret THEN NEW.previous_secret := OLD.secret; END IF;
        RETURN NEW;
      END $fn$;
      CREATE TRIGGER webhook_subscription_secret_rotated BEFORE UPDATE OF secret ON webhook_subscription
        FOR EACH ROW EXECUTE FUNCTION eca_webhook_secret_rotated();
      GRANT DELETE ON webhook_subscription TO eca_app;
      REVOKE SELECT, UPDATE ON webhook_event FROM eca_app;
      REVOKE INSERT ON webhook_delivery FROM eca_app;
      REVOKE UPDATE ON webhook_delivery FROM eca_app;
      GRANT UPDATE (status, attempts, next_attempt_at, version) ON webhook_delivery TO eca_app;
    `);
    await applyPolicies(q, ['webhook_subscription', 'webhook_event', 'webhook_delivery']);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP TABLE webhook_delivery;
      DROP TABLE webhook_event;
      DROP TABLE webhook_subscription;
      DROP FUNCTION eca_webhook_secret_rotated();
    `);
  }
}
