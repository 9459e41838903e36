import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * `lead.investigation_created_at` and `referral.investigation_created_at`: a copy of the creation time of the
 * row's investigation, kept by triggers in the writes' transactions (issue 15, "Analytics"). `timeToAction`
 * measures from it (lead -> investigation, investigation -> referral) and read it from `investigation`, whose
 * policy for a brand partner is a SECURITY DEFINER call per investigation (eca_investigation_of_brand, about
 * 0.2 ms each: 1,200 of them for the largest brand at scale 10), and which internal callers joined by a
 * nested loop over 23,000 investigations. The investigation of a lead or referral the caller may read is one
 * it may read (visibility.ts), so the copy tells nothing the join did not.
 *
 * Kept like lead_brand.lead_created_at (1763915000000): copied when the row is written with, or moved to,
 * an investigation; copied again should an investigation's created_at ever be corrected. The seed loads
 * with these triggers off and rebuilds the copies (src/seed/derived.ts).
 */
export class InvestigationCreatedAtCopies1764300200000 implements MigrationInterface {
  name = 'InvestigationCreatedAtCopies1764300200000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE lead ADD COLUMN investigation_created_at timestamptz;
      ALTER TABLE referral ADD COLUMN investigation_created_at timestamptz;
      UPDATE lead l SET investigation_created_at = i.created_at FROM investigation i WHERE i.id = l.investigation_id;
      UPDATE referral r SET investigation_created_at = i.created_at FROM investigation i WHERE i.id = r.investigation_id;

      -- SECURITY DEFINER: the writing role may not see the investigation under row-level security.
      CREATE FUNCTION eca_copy_investigation_created_at() RETURNS trigger
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $fn$
      BEGIN
        NEW.investigation_created_at := (SELECT i.created_at FROM investigation i WHERE i.id = NEW.investigation_id);
        RETURN NEW;
      END $fn$;
      CREATE TRIGGER lead_investigation_created_at_insert BEFORE INSERT ON lead
        FOR EACH ROW WHEN (NEW.investigation_id IS NOT NULL) EXECUTE FUNCTION eca_copy_investigation_created_at();
      CREATE TRIGGER lead_investigation_created_at_update BEFORE UPDATE OF investigation_id ON lead
        FOR EACH ROW WHEN (OLD.investigation_id IS DISTINCT FROM NEW.investigation_id) EXECUTE FUNCTION eca_copy_investigation_created_at();
      CREATE TRIGGER referral_investigation_created_at_insert BEFORE INSERT ON referral
        FOR EACH ROW EXECUTE FUNCTION eca_copy_investigation_created_at();
      CREATE TRIGGER referral_investigation_created_at_update BEFORE UPDATE OF investigation_id ON referral
        FOR EACH ROW WHEN (OLD.investigation_id IS DISTINCT FROM NEW.investigation_id) EXECUTE FUNCTION eca_copy_investigation_created_at();

      CREATE FUNCTION eca_recopy_investigation_created_at() RETURNS trigger
        LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $fn$
      BEGIN
        UPDATE lead SET investigation_created_at = NEW.created_at WHERE investigation_id = NEW.id;
        UPDATE referral SET investigation_created_at = NEW.created_at WHERE investigation_id = NEW.id;
        RETURN NULL;
      END $fn$;
      CREATE TRIGGER investigation_created_at_copies AFTER UPDATE OF created_at ON investigation
        FOR EACH ROW WHEN (OLD.created_at IS DISTINCT FROM NEW.created_at) EXECUTE FUNCTION eca_recopy_investigation_created_at();
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP TRIGGER investigation_created_at_copies ON investigation;
      DROP TRIGGER referral_investigation_created_at_update ON referral;
      DROP TRIGGER referral_investigation_created_at_insert ON referral;
      DROP TRIGGER lead_investigation_created_at_update ON lead;
      DROP TRIGGER lead_investigation_created_at_insert ON lead;
      DROP FUNCTION eca_recopy_investigation_created_at(), eca_copy_investigation_created_at();
      ALTER TABLE referral DROP COLUMN investigation_created_at;
      ALTER TABLE lead DROP COLUMN investigation_created_at;
    `);
  }
}
