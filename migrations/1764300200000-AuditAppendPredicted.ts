import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `audit_chain_append(expected_head, expected_size, events)`: an audit append in the COMMIT's own round trip,
 * with no client round trip while the chain's lock is held (src/shared/audit/audit.service.ts). The server
 * chains and signs its events on the head it predicts (the tail of its own last append, committed or still in
 * flight); this function waits until the chain's head is that prediction, takes the chain's advisory lock
 * (72100001, held to the transaction's end, as audit_chain_lock_head takes it), checks the head again under
 * it, takes the events' seqs from the sequence (they must be the predicted ones: seq order stays commit
 * order), and inserts the rows. The rows are the ones the server signed; nothing of their content is made
 * here, so the hashing and signing rules are those of the two-round-trip append.
 *
 * Waiting: while the head is behind the prediction, the predecessor has not committed yet. When the lock is
 * held, the function waits for its holder (taking it in a subtransaction that it then undoes, which releases
 * it, so that it never holds the lock while waiting for a predecessor that needs it); when the lock is free
 * the predecessor has not reached it yet, and it sleeps a millisecond. After 50 such free milliseconds the
 * predecessor is taken as lost (it failed). The statement timeout bounds the whole wait, as it bounds the wait
 * for the lock in the two-round-trip append.
 *
 * Refused with SQLSTATE EC001 (nothing inserted) when the head is not the prediction: another process
 * appended, a predecessor failed, or a seq was taken by another writer. The server sends the call after a
 * SAVEPOINT, rolls back to it and appends the two-round-trip way. Runs with the caller's rights.
 */
export class AuditAppendPredicted1764300200000 implements MigrationInterface {
  name = 'AuditAppendPredicted1764300200000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION audit_chain_append(expected_head text, expected_size bigint, events jsonb) RETURNS void
        LANGUAGE plpgsql VOLATILE AS $fn$
      DECLARE
        head_hash text;
        head_size bigint;
        free_waits int := 0;
        waited_at timestamptz;
        predicted bigint;
      BEGIN
        LOOP
          SELECT e.hash, e.leaf_index + 1 INTO head_hash, head_size FROM audit_event e ORDER BY e.leaf_index DESC LIMIT 1;
          EXIT WHEN coalesce(head_size, 0) >= expected_size;
          IF free_waits >= 50 THEN
            RAISE EXCEPTION 'audit chain head % is behind the predicted %: its predecessor was lost', coalesce(head_size, 0), expected_size USING ERRCODE = 'EC001';
          END IF;
          waited_at := clock_timestamp();
          BEGIN
            PERFORM pg_advisory_xact_lock(72100001);
            RAISE EXCEPTION 'released' USING ERRCODE = 'EC002';
          EXCEPTION WHEN SQLSTATE 'EC002' THEN NULL;
          END;
          IF clock_timestamp() - waited_at < interval '100 microseconds' THEN
            free_waits := free_waits + 1;
            PERFORM pg_sleep(0.001);
          END IF;
        END LOOP;
        IF head_size <> expected_size OR head_hash <> expected_head THEN
          RAISE EXCEPTION 'audit chain head % is not the predicted %', head_size, expected_size USING ERRCODE = 'EC001';
        END IF;
        PERFORM pg_advisory_xact_lock(72100001);
        SELECT e.hash, e.leaf_index + 1 INTO head_hash, head_size FROM audit_event e ORDER BY e.leaf_index DESC LIMIT 1;
        IF head_size <> expected_size OR head_hash <> expected_head THEN
          RAISE EXCEPTION 'audit chain head % moved before its lock', head_size USING ERRCODE = 'EC001';
        END IF;
        FOR predicted IN SELECT (event->>'seq')::bigint FROM jsonb_array_elements(events) WITH ORDINALITY AS t (event, n) ORDER BY n LOOP
          IF nextval(pg_get_serial_sequence('audit_event', 'seq')) <> predicted THEN
            RAISE EXCEPTION 'audit seq % was taken' , predicted USING ERRCODE = 'EC001';
          END IF;
        END LOOP;
        INSERT INTO audit_event (seq, at, actor_id, actor_label, action, entity_type, entity_id, before, after, request_id, prev_hash, hash, leaf_index, signature, key_id)
          SELECT seq, at, actor_id, actor_label, action, entity_type, entity_id, before, after, request_id, prev_hash, hash, leaf_index, signature, key_id
          FROM jsonb_populate_recordset(NULL::audit_event, events);
      END $fn$;
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION audit_chain_append(text, bigint, jsonb)`);
  }
}
