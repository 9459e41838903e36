import { createTestDatabase } from '../support/database';

describe('migrations', () => {
  it('build the schema from an empty database, revert to empty, and build it again', async () => {
    const db = await createTestDatabase({ migrated: false });
    try {
      const applied = await db.dataSource.runMigrations();
      expect(applied.length).toBe(db.dataSource.migrations.length);
      expect(await db.dataSource.showMigrations()).toBe(false);
      for (let i = 0; i < applied.length; i += 1) await db.dataSource.undoLastMigration();
      const tables = await db.dataSource.query(
        `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_name <> 'migrations'`,
      );
      expect(tables).toEqual([]);
      await db.dataSource.runMigrations();
    } finally {
      await db.drop();
    }
  });

  it('agree with the entities: every mapped column exists with the same nullability', async () => {
    const db = await createTestDatabase();
    try {
      const columns: { table_name: string; column_name: string; is_nullable: string }[] = await db.dataSource.query(
        `SELECT table_name, column_name, is_nullable FROM information_schema.columns WHERE table_schema = 'public'`,
      );
      const actual = new Map(columns.map((c) => [`${c.table_name}.${c.column_name}`, c.is_nullable === 'YES']));
      const mismatches: string[] = [];
      for (const entity of db.dataSource.entityMetadatas) {
        for (const column of entity.columns) {
          const key = `${entity.tableName}.${column.databaseName}`;
          if (!actual.has(key)) mismatches.push(`${key} is missing`);
          else if (actual.get(key) !== column.isNullable) mismatches.push(`${key} nullability differs`);
        }
      }
      expect(mismatches).toEqual([]);
    } finally {
      await db.drop();
    }
  });
});
