import { EntityManager } from 'typeorm';
import { DERIVED } from './derived.js';

/**
 * A bulk load inside the seed's transaction, as PostgreSQL's manual advises ("Populating a Database"):
 * the loaded tables' foreign keys and secondary indexes are dropped first and made again once the rows are
 * in (one sort per index and one join per key, instead of an index insertion and a key lookup per row), and
 * the triggers that keep derived data (derived.ts) are off until their tables are rebuilt.
 *
 * Primary keys stay (ids come in ascending order, appended at the index's end). Unique constraints that no
 * foreign key relies on are dropped too, and each constraint comes back with its own definition and is
 * validated as it is added (a duplicate or a dangling key fails the seed); each index is built again from
 * its own definition. All of it is transactional: a seed that fails leaves the schema as it was. The
 * transaction gets more memory for the sorts of the index builds and the joins of the key checks.
 */
export class BulkLoad {
  private constructor(
    private readonly db: EntityManager,
    private readonly tables: readonly string[],
    private readonly constraints: { table: string; name: string; definition: string }[],
    private readonly indexes: { name: string; definition: string }[],
    private readonly triggers: { table: string; name: string; enabled: string }[],
  ) {}

  static async begin(db: EntityManager, tables: readonly string[]): Promise<BulkLoad> {
    await db.query(`SET LOCAL maintenance_work_mem = '256MB'`);
    await db.query(`SET LOCAL work_mem = '64MB'`);
    // Foreign keys from a loaded table (those into one stay: their tables are not loaded here), then unique
    // constraints of a loaded table that no foreign key references; put back in the reverse order.
    const constraints: { table: string; name: string; definition: string }[] = await db.query(
      `SELECT c.conrelid::regclass::text AS table, quote_ident(c.conname) AS name, pg_get_constraintdef(c.oid) AS definition
       FROM pg_constraint c WHERE c.conrelid = ANY($1::regclass[])
         AND (c.contype = 'f' OR (c.contype = 'u' AND NOT EXISTS (SELECT 1 FROM pg_constraint r WHERE r.contype = 'f' AND r.conindid = c.conindid)))
       ORDER BY c.contype = 'u', c.conrelid::regclass::text, c.conname`,
      [tables],
    );
    // Indexes that back no constraint (not a primary key, unique or exclusion constraint).
    const indexes: { name: string; definition: string }[] = await db.query(
      `SELECT i.indexrelid::regclass::text AS name, pg_get_indexdef(i.indexrelid) AS definition
       FROM pg_index i WHERE i.indrelid = ANY($1::regclass[])
         AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
       ORDER BY 1`,
      [tables],
    );
    const triggers: { table: string; name: string; enabled: string }[] = await db.query(
      `SELECT t.tgrelid::regclass::text AS table, quote_ident(t.tgname) AS name, t.tgenabled AS enabled
       FROM pg_trigger t WHERE NOT t.tgisinternal AND t.tgenabled <> 'D' AND t.tgfoid::regproc::text = ANY($1::text[])
       ORDER BY 1, 2`,
      [DERIVED.flatMap((d) => d.triggerFunctions)],
    );
    for (const constraint of constraints)
      await db.query(`ALTER TABLE ${constraint.table} DROP CONSTRAINT ${constraint.name}`);
    if (indexes.length) await db.query(`DROP INDEX ${indexes.map((index) => index.name).join(', ')}`);
    for (const trigger of triggers) await db.query(`ALTER TABLE ${trigger.table} DISABLE TRIGGER ${trigger.name}`);
    return new BulkLoad(db, tables, constraints, indexes, triggers);
  }

  /** The indexes built again, the unique constraints and foreign keys added back (validated), then fresh statistics. */
  async restoreIndexesAndKeys(): Promise<void> {
    for (const index of this.indexes) await this.db.query(index.definition);
    for (const constraint of [...this.constraints].reverse()) {
      await this.db.query(`ALTER TABLE ${constraint.table} ADD CONSTRAINT ${constraint.name} ${constraint.definition}`);
    }
    await this.db.query(`ANALYZE ${this.tables.join(', ')}`);
  }

  /** Every derived table rebuilt from the base tables, then its triggers on again. */
  async rebuildDerived(): Promise<void> {
    for (const derived of DERIVED) await this.db.query(derived.rebuild);
    // Each as it was: O (ENABLE), A (ENABLE ALWAYS) or R (ENABLE REPLICA).
    const how: Record<string, string> = { O: 'ENABLE', A: 'ENABLE ALWAYS', R: 'ENABLE REPLICA' };
    for (const trigger of this.triggers)
      await this.db.query(`ALTER TABLE ${trigger.table} ${how[trigger.enabled]} TRIGGER ${trigger.name}`);
  }
}
