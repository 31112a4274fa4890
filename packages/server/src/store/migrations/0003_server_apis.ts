// Frozen: this migration imports nothing from the application, so it does today what it did
// when it shipped. Never edit it; add a new migration instead.
// The field's Server APIs (v3/v4): event updates, search filters, webhooks and sealed results.
import { type Kysely, sql } from 'kysely'

// The bot verdict's rule as it stood when this migration shipped (events/bot-result.ts then), inlined so
// that later changes to the rule never change what this migration wrote.
const GOOD_BOTS: RegExp[] = [
  /googlebot|google-inspectiontool|adsbot-google|mediapartners-google|apis-google/i,
  /bingbot|bingpreview|msnbot/i,
  /yandex(bot|images|metrika)/i,
  /duckduckbot|duckassistbot/i,
  /baiduspider/i,
  /applebot/i,
  /slurp/i,
  /facebookexternalhit|facebookcatalog|meta-externalagent/i,
  /twitterbot/i,
  /linkedinbot/i,
  /slackbot/i,
  /discordbot/i,
  /telegrambot/i,
  /uptimerobot|pingdom|statuscake|site24x7|better ?uptime/i,
]

function botResult(bot: { browserSaysItsBot?: boolean; botProbability?: number }, userAgent: string | null) {
  if (bot.browserSaysItsBot && userAgent && GOOD_BOTS.some((re) => re.test(userAgent))) return 'good'
  if (bot.browserSaysItsBot || (bot.botProbability ?? 0) >= 0.5) return 'bad'
  return 'notDetected'
}

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
    const result = botResult(JSON.parse(v.bot), ua)
    if (result === 'notDetected') continue
    await db
      .updateTable('visits')
      .set({ bot_result: result })
      .where('request_id', '=', v.request_id)
      .where('ts', '=', v.ts)
      .execute()
  }
}

export async function up(db: Kysely<any>): Promise<void> {
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
  await db.schema.createIndex('visits_app_ts').on('visits').columns(['app_id', 'ts', 'request_id']).execute()
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
}

export async function down(db: Kysely<any>): Promise<void> {
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
}
