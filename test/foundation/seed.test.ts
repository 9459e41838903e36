import { seedDataset } from '../../src/seed/seed';
import { createTestDatabase } from '../support/database';
import { testConfig } from '../support/server';

const FINGERPRINT = `SELECT
  (SELECT md5(string_agg(name || slug, ',' ORDER BY id)) FROM brand) AS brands,
  (SELECT md5(string_agg(region || status || strike_count, ',' ORDER BY id)) FROM seller) AS sellers,
  (SELECT md5(string_agg(title || price_amount || status, ',' ORDER BY id)) FROM listing) AS listings,
  (SELECT md5(string_agg(value_hash, ',' ORDER BY id)) FROM seller_identifier) AS identifiers`;

describe('seed --scale', () => {
  it('loads a deterministic dataset in which some sellers share identifiers (networks)', async () => {
    const [first, second] = await Promise.all([createTestDatabase(), createTestDatabase()]);
    try {
      const options = { scale: 0.004, identifierHashKey: testConfig().identifierHashKey };
      const counts = await seedDataset(first.dataSource, options);
      await seedDataset(second.dataSource, options);
      expect(counts).toMatchObject({ brands: 4, sellers: 200, listings: 800 });
      expect(await first.dataSource.query(FINGERPRINT)).toEqual(await second.dataSource.query(FINGERPRINT));
      const [{ shared }] = await first.dataSource.query(
        `SELECT count(*)::int AS shared FROM (SELECT kind, value_hash FROM seller_identifier GROUP BY 1, 2 HAVING count(DISTINCT seller_id) > 1) s`,
      );
      expect(shared).toBeGreaterThan(0);
      const [{ regions }] = await first.dataSource.query(`SELECT count(DISTINCT region)::int AS regions FROM seller`);
      expect(regions).toBeGreaterThan(10);
    } finally {
      await Promise.all([first.drop(), second.drop()]);
    }
  });
});
