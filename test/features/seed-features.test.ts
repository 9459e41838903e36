// The seeded dataset carries the data of the closing-the-loop features: deadlines of sent referrals, escalations and
// feedback, premises with their findings and raids, identifiers encrypted as well as hashed.
import { decryptIdentifier, identifierAssociatedData } from '../../src/modules/seller/identifier-cipher';
import { identifierHash } from '../../src/modules/seller/identifier-hash';
import { featureSettings } from '../../src/shared/settings';
import { seedDataset } from '../../src/seed/seed';
import { createTestDatabase } from '../support/database';
import { testConfig } from '../support/server';

it('seeds deadlines, escalations, feedback, premises and encrypted identifiers', async () => {
  const db = await createTestDatabase();
  try {
    const now = new Date();
    const counts = await seedDataset(db.dataSource, {
      scale: 0.01,
      identifierHashKey: testConfig().identifierHashKey,
      now,
    });
    const [shape] = await db.dataSource.query(`SELECT
      (SELECT count(*)::int FROM referral WHERE sent_at IS NOT NULL AND (acknowledge_by IS NULL OR action_by IS NULL)) AS "sentWithoutDeadlines",
      (SELECT count(*)::int FROM referral WHERE sent_at IS NULL AND acknowledge_by IS NOT NULL) AS "draftsWithDeadlines",
      (SELECT count(*)::int FROM referral_escalation) AS escalations,
      (SELECT count(*)::int FROM referral_feedback) AS feedback,
      (SELECT count(*)::int FROM premises) AS premises,
      (SELECT count(*)::int FROM finding WHERE premises_id IS NULL) AS "unlinkedFindings",
      (SELECT count(*)::int FROM (SELECT premises_id FROM enforcement_outcome WHERE kind = 'RAID' AND premises_id IS NOT NULL GROUP BY 1 HAVING count(*) > 1) x) AS "raidedTwice",
      (SELECT count(*)::int FROM enforcement_outcome o JOIN premises p ON p.id = o.premises_id WHERE o.region IS DISTINCT FROM p.region) AS "regionMismatch",
      (SELECT count(*)::int FROM seller_identifier WHERE value_encrypted IS NULL) AS "unencrypted",
      (SELECT count(*)::int FROM joint_operation) AS operations,
      (SELECT count(*)::int FROM joint_operation j WHERE (SELECT count(DISTINCT r.agency_id) FROM enforcement_outcome o JOIN referral r ON r.id = o.referral_id WHERE o.operation_id = j.id) <> 2) AS "operationsNotOfTwoAgencies",
      (SELECT count(*)::int FROM repeat_offender_match) AS matches,
      (SELECT count(*)::int FROM repeat_offender_match m JOIN lead l ON l.id = m.lead_id WHERE l.source <> 'REPEAT_OFFENDER_MATCH') AS "matchLeadsOfOtherSource"`);
    expect(shape).toMatchObject({
      sentWithoutDeadlines: 0,
      draftsWithDeadlines: 0,
      unlinkedFindings: 0,
      regionMismatch: 0,
      unencrypted: 0,
      operationsNotOfTwoAgencies: 0,
      matchLeadsOfOtherSource: 0,
    });
    expect(shape.operations).toBe(counts.jointOperations);
    expect(shape.matches).toBe(counts.repeatOffenderMatches);
    expect(shape.matches).toBeGreaterThan(0);
    expect(shape.escalations).toBe(counts.escalations);
    expect(shape.feedback).toBe(counts.feedback);
    expect(shape.premises).toBe(counts.premises);
    expect(shape.escalations).toBeGreaterThan(0);
    expect(shape.feedback).toBeGreaterThan(0);
    expect(shape.raidedTwice).toBeGreaterThan(0);
    const [identifier] = await db.dataSource.query(
      `SELECT seller_id::text, kind, value_hash, value_encrypted, encryption_key_id FROM seller_identifier ORDER BY id LIMIT 1`,
    );
    const raw = decryptIdentifier(
      featureSettings().identifierEncryption,
      identifierAssociatedData(identifier.seller_id, identifier.kind, identifier.value_hash),
      { valueEncrypted: identifier.value_encrypted, keyId: identifier.encryption_key_id },
    );
    expect(identifierHash(testConfig().identifierHashKey, identifier.kind, raw)).toBe(identifier.value_hash);
  } finally {
    await db.drop();
  }
});
