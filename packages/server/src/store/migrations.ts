import { type Kysely, type Migration, type MigrationProvider, Migrator, PostgresAdapter, sql } from 'kysely'

const isPostgres = (db: Kysely<any>) => db.getExecutor().adapter instanceof PostgresAdapter

// Each migration works on SQLite and PostgreSQL.
const migrations: Record<string, Migration> = {
  '0001_initial': {
    async up(db: Kysely<any>) {
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
        .addColumn('request_id', pg ? sql`text collate "C"` : 'text', (c) =>
          pg ? c.notNull() : c.primaryKey(),
        )
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
    },
    async down(db: Kysely<any>) {
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
    },
  },
  // Payloads already posted (the agent's nonce, or the payload's hash): a replay is recognised (store/replay.ts).
  '0002_replay': {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('payload_nonces')
        .addColumn('app_id', 'text', (c) => c.notNull())
        .addColumn('nonce', 'text', (c) => c.notNull())
        .addColumn('request_id', 'text', (c) => c.notNull())
        .addColumn('seen_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('payload_nonces_pk', ['app_id', 'nonce'])
        .execute()
      await db.schema.createIndex('payload_nonces_seen_at').on('payload_nonces').column('seen_at').execute()
    },
    async down(db: Kysely<any>) {
      await db.schema.dropTable('payload_nonces').ifExists().execute()
    },
  },
}

export const LATEST_MIGRATION = Object.keys(migrations).sort().at(-1)!

class StaticProvider implements MigrationProvider {
  async getMigrations() {
    return migrations
  }
}

/**
 * On PostgreSQL the migration tables live in the schema the connection uses (its search_path).
 * Left unset, Kysely looks for them in every schema it can see, so another schema's
 * kysely_migration table (another install, or a test) would pass for this one's.
 */
async function migrationTableSchema(db: Kysely<any>): Promise<string | undefined> {
  if (!isPostgres(db)) return undefined
  const { rows } = await sql<{ schema: string | null }>`select current_schema() as schema`.execute(db)
  const schema = rows[0]?.schema
  if (!schema) throw new Error('PostgreSQL: no schema on the search_path exists to hold the tables')
  return schema
}

export async function migrator(db: Kysely<any>): Promise<Migrator> {
  const schema = await migrationTableSchema(db)
  return new Migrator({
    db,
    provider: new StaticProvider(),
    ...(schema ? { migrationTableSchema: schema } : {}),
  })
}

export async function migrateToLatest(db: Kysely<any>): Promise<void> {
  const { error, results } = await (await migrator(db)).migrateToLatest()
  const failed = results?.find((r) => r.status === 'Error')
  if (error || failed) {
    throw new Error(
      `database migration failed${failed ? ` at ${failed.migrationName}` : ''}: ${String(error)}`,
    )
  }
}

export async function pendingMigrations(db: Kysely<any>): Promise<string[]> {
  const all = await (await migrator(db)).getMigrations()
  return all.filter((m) => m.executedAt === undefined).map((m) => m.name)
}

export async function ping(db: Kysely<any>): Promise<void> {
  await sql`select 1`.execute(db)
}
