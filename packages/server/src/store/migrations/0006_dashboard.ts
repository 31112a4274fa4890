// Frozen: this migration imports nothing from the application, so it does today what it did
// when it shipped. Never edit it; add a new migration instead.
// The dashboard's accounts and sessions, and the daily summaries its overview reads. On PostgreSQL
// the address index takes text_pattern_ops, so that a prefix (an IPv4 CIDR range on octets) can use
// it whatever the database's collation; equality look-ups use it as before.
import { type Kysely, PostgresAdapter, sql } from 'kysely'

const isPostgres = (db: Kysely<any>) => db.getExecutor().adapter instanceof PostgresAdapter

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('users')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('email', 'text', (c) => c.notNull().unique())
    .addColumn('password_hash', 'text', (c) => c.notNull())
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute()
  await db.schema
    .createTable('sessions')
    .addColumn('token_hash', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('csrf', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('last_seen_at', 'bigint', (c) => c.notNull())
    .execute()
  await db.schema.createIndex('sessions_user').on('sessions').column('user_id').execute()
  await db.schema
    .createTable('daily_summaries')
    .addColumn('app_id', 'text', (c) => c.notNull().references('apps.id').onDelete('cascade'))
    .addColumn('day', 'integer', (c) => c.notNull())
    .addColumn('summary', 'text', (c) => c.notNull())
    .addColumn('computed_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('daily_summaries_pk', ['app_id', 'day'])
    .execute()
  if (isPostgres(db)) {
    await sql`drop index if exists visits_app_ip`.execute(db)
    await sql`create index visits_app_ip on visits (app_id, ip text_pattern_ops, ts, request_id)`.execute(db)
  }
}

export async function down(db: Kysely<any>): Promise<void> {
  if (isPostgres(db)) {
    await sql`drop index if exists visits_app_ip`.execute(db)
    await sql`create index visits_app_ip on visits (app_id, ip, ts, request_id)`.execute(db)
  }
  await db.schema.dropTable('daily_summaries').execute()
  await db.schema.dropTable('sessions').execute()
  await db.schema.dropTable('users').execute()
}
