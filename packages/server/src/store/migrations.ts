import { type Kysely, type Migration, type MigrationProvider, Migrator, PostgresAdapter, sql } from 'kysely'
import { botResult } from '../events/bot-result.js'

const isPostgres = (db: Kysely<any>) => db.getExecutor().adapter instanceof PostgresAdapter

/** Visits stored before 0003: only those the bot score flagged can be anything but 'notDetected'. */
async function backfillBotResult(db: Kysely<any>) {
  const flagged = await db
    .selectFrom('visits')
    .select(['request_id', 'ts', 'bot', 'visitor_details'])
    .where((eb) =>
      eb.or([
        eb('bot', 'like', '%"browserSaysItsBot":true%'),
        ...['1', '0.5', '0.6', '0.7', '0.8', '0.9'].map((p) => eb('bot', 'like', `%"botProbability":${p}%`)),
      ]),
    )
    .execute()
  for (const v of flagged) {
    const ua = (JSON.parse(v.visitor_details) as { userAgent?: string | null }).userAgent ?? null
    const { result } = botResult(JSON.parse(v.bot), ua)
    if (result === 'notDetected') continue
    await db
      .updateTable('visits')
      .set({ bot_result: result })
      .where('request_id', '=', v.request_id)
      .where('ts', '=', v.ts)
      .execute()
  }
}

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
  // The field's Server APIs (v3/v4): event updates, search filters, webhooks and sealed results.
  '0003_server_apis': {
    async up(db: Kysely<any>) {
      await db.schema
        .alterTable('visits')
        .addColumn('suspect', 'integer', (c) => c.notNull().defaultTo(0))
        .execute()
      // 'notDetected' | 'good' | 'bad' (events/bot-result.ts), kept in a column so search can filter on it.
      await db.schema
        .alterTable('visits')
        .addColumn('bot_result', 'text', (c) => c.notNull().defaultTo('notDetected'))
        .execute()
      await backfillBotResult(db)
      // Event search pages through an app's visits by time; linked id and address filters have their own.
      await db.schema
        .createIndex('visits_app_ts')
        .on('visits')
        .columns(['app_id', 'ts', 'request_id'])
        .execute()
      await db.schema
        .createIndex('visits_app_linked')
        .on('visits')
        .columns(['app_id', 'linked_id', 'ts', 'request_id'])
        .execute()
      await db.schema
        .createIndex('visits_app_ip')
        .on('visits')
        .columns(['app_id', 'ip', 'ts', 'request_id'])
        .execute()
      // Bots and suspect events are few: partial indexes find them without walking every visit, and
      // cost nothing when a visit is neither.
      await db.schema
        .createIndex('visits_app_bots')
        .on('visits')
        .columns(['app_id', 'ts', 'request_id'])
        .where(sql.ref('bot_result'), '<>', 'notDetected')
        .execute()
      await db.schema
        .createIndex('visits_app_suspect')
        .on('visits')
        .columns(['app_id', 'ts', 'request_id'])
        .where(sql.ref('suspect'), '=', 1)
        .execute()
      // A visitor's deletion finds the engine's rows naming it without scanning the app's.
      for (const table of ['fingerprints', 'fingerprint_parts', 'visitor_claims']) {
        await db.schema.createIndex(`${table}_visitor`).on(table).columns(['app_id', 'visitor_id']).execute()
      }
      await db.schema
        .createTable('webhooks')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('app_id', 'text', (c) => c.notNull().references('apps.id').onDelete('cascade'))
        .addColumn('url', 'text', (c) => c.notNull())
        // The HMAC needs the secret itself; the previous one keeps signing during a rotation.
        .addColumn('secret', 'text', (c) => c.notNull())
        .addColumn('previous_secret', 'text')
        .addColumn('format', 'text', (c) => c.notNull().defaultTo('v4'))
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute()
      await db.schema.createIndex('webhooks_app').on('webhooks').column('app_id').execute()
      // One row per (webhook, event): at most one delivery of an event to an endpoint, kept until delivered.
      await db.schema
        .createTable('webhook_deliveries')
        .addColumn('webhook_id', 'text', (c) => c.notNull())
        .addColumn('event_id', 'text', (c) => c.notNull())
        .addColumn('app_id', 'text', (c) => c.notNull())
        .addColumn('visitor_id', 'text', (c) => c.notNull())
        /** The event's visit time (µs), to find it again. */
        .addColumn('event_ts', 'bigint', (c) => c.notNull())
        /** 'pending' | 'delivered' | 'failed' */
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        /** ms since the epoch. */
        .addColumn('next_attempt_at', 'bigint', (c) => c.notNull())
        .addColumn('locked_until', 'bigint', (c) => c.notNull().defaultTo(0))
        /** The exact bytes sent, fixed at the first attempt so every retry signs the same body. */
        .addColumn('body', 'text')
        .addColumn('last_status', 'integer')
        .addColumn('last_error', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('delivered_at', 'bigint')
        .addPrimaryKeyConstraint('webhook_deliveries_pk', ['webhook_id', 'event_id'])
        .execute()
      await db.schema
        .createIndex('webhook_deliveries_due')
        .on('webhook_deliveries')
        .columns(['status', 'next_attempt_at'])
        .execute()
      await db.schema
        .createIndex('webhook_deliveries_visitor')
        .on('webhook_deliveries')
        .columns(['app_id', 'visitor_id'])
        .execute()
      await db.schema
        .createTable('sealed_keys')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('app_id', 'text', (c) => c.notNull().references('apps.id').onDelete('cascade'))
        /** base64 of 32 random bytes (AES-256-GCM). */
        .addColumn('key', 'text', (c) => c.notNull())
        /** Which event the sealed result holds: 'v3' ({products}) or 'v4' (flat event). */
        .addColumn('format', 'text', (c) => c.notNull().defaultTo('v3'))
        .addColumn('active', 'integer', (c) => c.notNull().defaultTo(1))
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute()
      await db.schema.createIndex('sealed_keys_app').on('sealed_keys').column('app_id').execute()
    },
    async down(db: Kysely<any>) {
      for (const t of ['sealed_keys', 'webhook_deliveries', 'webhooks']) {
        await db.schema.dropTable(t).ifExists().execute()
      }
      for (const i of [
        'visits_app_ts',
        'visits_app_linked',
        'visits_app_ip',
        'visits_app_bots',
        'visits_app_suspect',
        'fingerprints_visitor',
        'fingerprint_parts_visitor',
        'visitor_claims_visitor',
      ]) {
        await db.schema.dropIndex(i).ifExists().execute()
      }
      await db.schema.alterTable('visits').dropColumn('bot_result').execute()
      await db.schema.alterTable('visits').dropColumn('suspect').execute()
    },
  },
  // Per app, how many visitors showed each value of each stable component (identify/frequency.ts):
  // the anonymity-set estimate behind probable links. Bounded: the rarest keys are pruned.
  '0004_value_counts': {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('value_counts')
        .addColumn('app_id', 'text', (c) => c.notNull().references('apps.id').onDelete('cascade'))
        .addColumn('key', 'text', (c) => c.notNull())
        .addColumn('count', 'bigint', (c) => c.notNull())
        .addColumn('last_seen_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('value_counts_pk', ['app_id', 'key'])
        .execute()
    },
    async down(db: Kysely<any>) {
      await db.schema.dropTable('value_counts').ifExists().execute()
    },
  },
  // Webhooks reach only public addresses unless added with --allow-private (webhooks/target.ts).
  '0005_webhook_allow_private': {
    async up(db: Kysely<any>) {
      await db.schema
        .alterTable('webhooks')
        .addColumn('allow_private', 'integer', (c) => c.notNull().defaultTo(0))
        .execute()
    },
    async down(db: Kysely<any>) {
      await db.schema.alterTable('webhooks').dropColumn('allow_private').execute()
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
  for (let attempt = 1; ; attempt++) {
    try {
      return await migrateOnce(db)
    } catch (err) {
      // Kysely looks for its migration table by introspecting every schema; on PostgreSQL that query
      // can fail while another process drops a schema (seen in CI). Only that failure is tried again.
      const code = (err as { cause?: { code?: string } }).cause?.code
      if (attempt >= 3 || code !== '3F000') throw err
      await new Promise((r) => setTimeout(r, 250 * attempt))
    }
  }
}

async function migrateOnce(db: Kysely<any>): Promise<void> {
  const { error, results } = await (await migrator(db)).migrateToLatest()
  const failed = results?.find((r) => r.status === 'Error')
  if (error || failed) {
    throw new Error(
      `database migration failed${failed ? ` at ${failed.migrationName}` : ''}: ${String(error)}`,
      { cause: error },
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
