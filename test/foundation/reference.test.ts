// A reference (LD-2026-000123) is formatted in TypeScript (formatReference, after nextReference's round trip)
// or in SQL (referenceSql, in the statement that writes the row: a lead). The two must never disagree.
import { formatReference, referenceSql } from '../../src/shared/reference';
import { createTestDatabase, TestDatabase } from '../support/database';

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase();
});

afterAll(() => db.drop());

it('formats a number in SQL as formatReference does: padded to six digits, never cut when it has more', async () => {
  for (const value of [1, 999999, 1234567]) {
    const [{ reference }] = await db.dataSource.query(
      `SELECT ${referenceSql('LD', '$1::bigint', '$2::int')} AS reference`,
      [value, 2026],
    );
    expect(reference).toBe(formatReference('LD', 2026, value));
  }
});

it("draws one number of the prefix's sequence per row, with the UTC year of the transaction", async () => {
  const rows: { reference: string; value: string; year: number }[] = await db.dataSource.query(
    `SELECT ${referenceSql('INV')} AS reference, currval('reference_inv_seq')::text AS value,
       extract(year FROM now() AT TIME ZONE 'UTC')::int AS year
     FROM generate_series(1, 3)`,
  );
  expect(rows.map((row) => row.reference)).toEqual(rows.map((row) => formatReference('INV', row.year, row.value)));
  expect(rows.map((row) => Number(row.value) - Number(rows[0].value))).toEqual([0, 1, 2]);
});
