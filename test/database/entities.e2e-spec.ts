import { DataSource, Entity, PrimaryColumn } from 'typeorm';
import { IdempotencyKey } from '../../src/common/idempotency-key.entity.js';
import { createOwnerDataSource } from '../../src/database/data-source.js';
import { entities } from '../../src/database/entities.js';
import { createTestDatabase, TestDatabase } from '../support/test-database.js';

/** A table no migration creates: an entity the database does not have. */
@Entity('entities_probe')
class EntitiesProbe {
  @PrimaryColumn({ name: 'id', type: 'integer' })
  id: number;
}

/** The SQL TypeORM would run to bring the database to the entities: what `migration:generate` writes. */
async function schemaDiff(dataSource: DataSource): Promise<string[]> {
  const { upQueries } = await dataSource.driver.createSchemaBuilder().log();
  return upQueries.map((query) => query.query);
}

/**
 * The entities describe the schema the migrations build, with the database's own names: on a freshly
 * migrated database TypeORM finds nothing to change, and every table has its entity.
 */
describe('entities match migrations', () => {
  let db: TestDatabase;
  let owner: DataSource;

  beforeAll(async () => {
    db = await createTestDatabase();
    owner = createOwnerDataSource(db.ownerUrl);
    await owner.initialize();
  });
  afterAll(async () => {
    if (owner?.isInitialized) await owner.destroy();
    await db?.drop();
  });

  /** Runs `work` on a second DataSource on the same database, built with `entities`. */
  async function withDataSource<T>(entityList: Function[], work: (dataSource: DataSource) => Promise<T>): Promise<T> {
    const dataSource = createOwnerDataSource(db.ownerUrl);
    dataSource.setOptions({ entities: entityList });
    await dataSource.initialize();
    try {
      return await work(dataSource);
    } finally {
      await dataSource.destroy();
    }
  }

  it('leaves TypeORM nothing to change', async () => {
    expect(await schemaDiff(owner)).toEqual([]);
  });

  it('has exactly one entity for every table but TypeORM’s own', async () => {
    const tables: { relname: string }[] = await owner.query(`
      SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND c.relname <> 'migrations'
       ORDER BY c.relname`);
    const mapped = owner.entityMetadatas.map((metadata) => metadata.tableName).sort();
    expect(mapped).toEqual(tables.map((table) => table.relname));
  });

  it('finds in the database every index TypeORM is told to leave alone', async () => {
    const declared = owner.entityMetadatas.flatMap((metadata) =>
      metadata.indices.filter((index) => !index.synchronize).map((index) => `${metadata.tableName}.${index.name}`),
    );
    const rows: { name: string }[] = await owner.query(`SELECT tablename || '.' || indexname AS name FROM pg_indexes WHERE schemaname = 'public'`);
    const existing = new Set(rows.map((row) => row.name));
    expect(declared.length).toBeGreaterThan(0);
    expect(declared.filter((name) => !existing.has(name))).toEqual([]);
  });

  it('starts a DataSource with the entities without installing the uuid-ossp extension', async () => {
    const extensions: { extname: string }[] = await owner.query(`SELECT extname FROM pg_extension`);
    expect(extensions.map((extension) => extension.extname)).not.toContain('uuid-ossp');
  });

  it('sees an entity whose table the migrations never created', async () => {
    const diff = await withDataSource([...entities, EntitiesProbe], schemaDiff);
    expect(diff).toEqual([expect.stringMatching(/^CREATE TABLE "entities_probe"/)]);
  });

  it('sees a column whose length differs from the database', async () => {
    const diff = await withDataSource(entities, (dataSource) => {
      dataSource.getMetadata(IdempotencyKey).findColumnWithDatabaseName('request_hash')!.length = '32';
      return schemaDiff(dataSource);
    });
    // TypeORM changes a length by dropping and re-adding the column.
    expect(diff).toEqual([
      `ALTER TABLE "idempotency_keys" DROP COLUMN "request_hash"`,
      `ALTER TABLE "idempotency_keys" ADD "request_hash" character(32) NOT NULL`,
    ]);
  });
});
