import { MigrationInterface, QueryRunner } from 'typeorm';

const PREFIXES = ['LD', 'INV', 'REF', 'OP'];

/**
 * Human-readable references (LD-2026-000123) from one sequence per prefix instead of a counter row per
 * prefix and year: the counter row was locked from a creation's first statement to its COMMIT, so every
 * creation of a kind waited for the one before it to commit, and a rolled-back creation handed its
 * number to the next one (an acknowledged-then-rolled-back lead's reference was reused). A sequence is
 * never rolled back: numbers are never reused and may have gaps. The year part is the creation year; the
 * number now runs on across years, starting after the highest number any year used.
 */
export class ReferenceSequences1764000000000 implements MigrationInterface {
  name = 'ReferenceSequences1764000000000';

  async up(q: QueryRunner): Promise<void> {
    for (const prefix of PREFIXES) {
      const sequence = `reference_${prefix.toLowerCase()}_seq`;
      await q.query(`CREATE SEQUENCE ${sequence} AS bigint MINVALUE 1`);
      // The next number follows the highest used in any year (setval's third argument: whether it was used).
      await q.query(`SELECT setval('${sequence}', greatest(m, 1), m > 0) FROM (SELECT coalesce(max(last_value), 0) AS m FROM reference_counter WHERE prefix = $1) c`, [prefix]);
      await q.query(`GRANT USAGE ON SEQUENCE ${sequence} TO eca_app`);
    }
    await q.query(`DROP TABLE reference_counter`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE reference_counter (prefix text NOT NULL, year int NOT NULL, last_value int NOT NULL, PRIMARY KEY (prefix, year))`);
    for (const prefix of PREFIXES) {
      const sequence = `reference_${prefix.toLowerCase()}_seq`;
      await q.query(
        `INSERT INTO reference_counter (prefix, year, last_value)
         SELECT $1, extract(year FROM now())::int, last_value FROM ${sequence} WHERE is_called`,
        [prefix],
      );
      await q.query(`DROP SEQUENCE ${sequence}`);
    }
    await q.query(`GRANT SELECT, INSERT, UPDATE ON reference_counter TO eca_app`);
  }
}
