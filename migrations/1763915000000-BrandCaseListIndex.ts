import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A brand's case list, newest first, without reading every lead of the brand: lead_brand keeps a copy of
 * its lead's created_at (kept by triggers: the API never changes a lead's created_at, but a correction by
 * hand must not leave the copy behind), indexed per brand
 * in the list's order, so the page query walks the brand's index and stops after one page
 * (lead.service.ts listLeads). Before, PostgreSQL read all of the brand's leads and sorted them: 972 at
 * scale 1, ten times that at scale 10.
 */
export class BrandCaseListIndex1763915000000 implements MigrationInterface {
  name = 'BrandCaseListIndex1763915000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE lead_brand ADD COLUMN lead_created_at timestamptz;
      UPDATE lead_brand lb SET lead_created_at = l.created_at FROM lead l WHERE l.id = lb.lead_id;
      ALTER TABLE lead_brand ALTER COLUMN lead_created_at SET NOT NULL;

      -- SECURITY DEFINER: the inserting role may not yet see the lead under row-level security.
      CREATE FUNCTION eca_copy_lead_created_at() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
      BEGIN
        SELECT created_at INTO NEW.lead_created_at FROM lead WHERE id = NEW.lead_id;
        RETURN NEW;
      END $$;
      CREATE TRIGGER lead_brand_lead_created_at BEFORE INSERT OR UPDATE OF lead_id ON lead_brand
        FOR EACH ROW EXECUTE FUNCTION eca_copy_lead_created_at();

      CREATE FUNCTION eca_recopy_lead_created_at() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
      BEGIN
        UPDATE lead_brand SET lead_created_at = NEW.created_at WHERE lead_id = NEW.id;
        RETURN NULL;
      END $$;
      CREATE TRIGGER lead_created_at_copies AFTER UPDATE OF created_at ON lead
        FOR EACH ROW WHEN (OLD.created_at IS DISTINCT FROM NEW.created_at) EXECUTE FUNCTION eca_recopy_lead_created_at();

      CREATE INDEX lead_brand_recent_idx ON lead_brand (brand_id, lead_created_at DESC, lead_id DESC);
    `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      DROP INDEX lead_brand_recent_idx;
      DROP TRIGGER lead_created_at_copies ON lead;
      DROP FUNCTION eca_recopy_lead_created_at();
      DROP TRIGGER lead_brand_lead_created_at ON lead_brand;
      DROP FUNCTION eca_copy_lead_created_at();
      ALTER TABLE lead_brand DROP COLUMN lead_created_at;
    `);
  }
}
