// Frozen: this migration imports nothing from the application, so it does today what it did
// when it shipped. Never edit it; add a new migration instead.
import { type Kysely, PostgresAdapter, sql } from 'kysely'

const isPostgres = (db: Kysely<any>) => db.getExecutor().adapter instanceof PostgresAdapter

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('settings')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('value', 'text', (c) => c.notNull())
    .execute()
  await db.schema
    .createTable('apps')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('public_key', 'text', (c) => c.notNull().unique())
    .addColumn('secret_key_hash', 'text', (c) => c.notNull().unique())
    .addColumn('allowed_origins', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute()
  await db.schema
    .createTable('visitors')
    .addColumn('app_id', 'text', (c) => c.notNull().references('apps.id').onDelete('cascade'))
    .addColumn('visitor_id', 'text', (c) => c.notNull())
    .addColumn('first_seen_at', 'bigint', (c) => c.notNull())
    .addColumn('last_seen_at', 'bigint', (c) => c.notNull())
    // What the engine compares later visits against (identify/profile.ts), as JSON.
    .addColumn('profile', 'text')
    .addPrimaryKeyConstraint('visitors_pk', ['app_id', 'visitor_id'])
    .execute()
  // Which visitors showed an exact fingerprint (identical devices share one).
  await db.schema
    .createTable('fingerprints')
    .addColumn('app_id', 'text', (c) => c.notNull())
    .addColumn('fingerprint', 'text', (c) => c.notNull())
    .addColumn('visitor_id', 'text', (c) => c.notNull())
    .addColumn('last_seen_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('fingerprints_pk', ['app_id', 'fingerprint', 'visitor_id'])
    .execute()
  // Candidate retrieval for fuzzy matching: one row per (group of components, its hash, visitor).
  await db.schema
    .createTable('fingerprint_parts')
    .addColumn('app_id', 'text', (c) => c.notNull())
    .addColumn('part', 'integer', (c) => c.notNull())
    .addColumn('hash', 'text', (c) => c.notNull())
    .addColumn('visitor_id', 'text', (c) => c.notNull())
    .addColumn('last_seen_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('fingerprint_parts_pk', ['app_id', 'part', 'hash', 'visitor_id'])
    .execute()
  await db.schema
    .createIndex('fingerprint_parts_recent')
    .on('fingerprint_parts')
    .columns(['app_id', 'part', 'hash', 'last_seen_at'])
    .execute()
  // A new visitor claims (fingerprint, network): two first visits of one browser racing make one visitor.
  await db.schema
    .createTable('visitor_claims')
    .addColumn('app_id', 'text', (c) => c.notNull())
    .addColumn('claim', 'text', (c) => c.notNull())
    .addColumn('visitor_id', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('visitor_claims_pk', ['app_id', 'claim'])
    .execute()
  const pg = isPostgres(db)
  let visits = db.schema
    .createTable('visits')
    // Byte order, as on SQLite, so ties in time page the same way whatever the database's locale.
    .addColumn('request_id', pg ? sql`text collate "C"` : 'text', (c) => (pg ? c.notNull() : c.primaryKey()))
    .addColumn('app_id', 'text', (c) => c.notNull())
    .addColumn('visitor_id', 'text', (c) => c.notNull())
    .addColumn('ts', 'bigint', (c) => c.notNull())
    .addColumn('fingerprint', 'text', (c) => c.notNull())
    .addColumn('url', 'text', (c) => c.notNull())
    .addColumn('ip', 'text', (c) => c.notNull())
    .addColumn('tag', 'text')
    .addColumn('linked_id', 'text')
    .addColumn('ip_location', 'text')
    .addColumn('visitor_details', 'text', (c) => c.notNull())
    .addColumn('components', 'text', (c) => c.notNull())
    .addColumn('identification', 'text', (c) => c.notNull())
    .addColumn('bot', 'text', (c) => c.notNull())
  if (pg) {
    // Monthly range partitions on ts (store/partitions.ts keeps them ahead of time; retention drops
    // whole ones). A partitioned table's keys must contain the partition key, hence (request_id, ts);
    // a request id carries its millisecond, so lookups by it still prune to one partition.
    visits = visits
      .addPrimaryKeyConstraint('visits_pk', ['request_id', 'ts'])
      .modifyEnd(sql`partition by range (ts)`)
  }
  await visits.execute()
  if (pg) await sql`create table visits_default partition of visits default`.execute(db)
  else await db.schema.createIndex('visits_ts').on('visits').column('ts').execute()
  await db.schema
    .createIndex('visits_visitor_ts')
    .on('visits')
    // request_id too: histories sort by (ts, request_id), and the index then serves the whole order.
    .columns(['app_id', 'visitor_id', 'ts', 'request_id'])
    .execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const t of [
    'visits',
    'visitor_claims',
    'fingerprint_parts',
    'fingerprints',
    'visitors',
    'apps',
    'settings',
  ]) {
    await db.schema.dropTable(t).ifExists().execute()
  }
}
