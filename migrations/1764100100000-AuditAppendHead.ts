import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `audit_chain_lock_head(events)`: the first of the two round trips an audit append holds the chain's lock for
 * (src/shared/audit/audit.service.ts; the second is its INSERT sent with the COMMIT). It takes the chain's
 * advisory lock (72100001, held to the transaction's end), then reads the chain's head, its size (the next
 * leaf index) and the next `events` seqs. A VOLATILE function takes a new snapshot for each of its queries,
 * so under READ COMMITTED the head is read after the lock is granted and sees what the previous holder
 * committed: the chain never forks. Before, the lock and the head were two statements, two round trips.
 * Runs with the caller's rights.
 */
export class AuditAppendHead1764100100000 implements MigrationInterface {
  name = 'AuditAppendHead1764100100000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE FUNCTION audit_chain_lock_head(events int) RETURNS TABLE (head text, size bigint, seqs bigint[])
        LANGUAGE plpgsql VOLATILE AS $fn$
      BEGIN
        PERFORM pg_advisory_xact_lock(72100001);
        RETURN QUERY
          SELECT (SELECT e.hash FROM audit_event e ORDER BY e.leaf_index DESC LIMIT 1),
                 (SELECT e.leaf_index + 1 FROM audit_event e ORDER BY e.leaf_index DESC LIMIT 1),
                 ARRAY(SELECT nextval(pg_get_serial_sequence('audit_event', 'seq')) FROM generate_series(1, events));
      END $fn$;
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION audit_chain_lock_head(int)`);
  }
}
