import type { FastifyBaseLogger } from 'fastify'
import { randomAlnum } from '../util/random.js'
import { type CreatedApp, countApps, createApp } from './apps.js'
import { type Db, isPostgres } from './db.js'
import { migrateToLatest, ping } from './migrations.js'
import { ensurePartitions } from './partitions.js'
import { getOrInitSetting, getSetting, setSetting } from './settings.js'

export interface Initialized {
  tokenSecret: string
  /** Set when this start created the Demo app (its keys are shown once). */
  createdDemo: CreatedApp | null
  demoApp: { id: string; publicKey: string } | null
}

// Errors that mean "the database is not there yet", worth waiting out; anything else is fatal.
const TRANSIENT = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  '57P03',
])
export const isTransient = (err: unknown) => {
  const e = err as { code?: string; message?: string }
  return (
    (e?.code !== undefined && TRANSIENT.has(e.code)) ||
    /timeout exceeded when trying to connect/i.test(e?.message ?? '')
  )
}

/** Waits (with capped backoff) while the database is unreachable; rethrows anything else. */
export async function waitForDatabase(
  db: Db,
  log: FastifyBaseLogger,
  onError: (err: Error) => void = () => {},
  maxDelayMs = 5000,
): Promise<void> {
  for (let attempt = 1, delay = 250; ; attempt++, delay = Math.min(delay * 2, maxDelayMs)) {
    try {
      await ping(db.kysely)
      if (attempt > 1) log.info({ db: db.location, attempt }, 'database reachable')
      return
    } catch (err) {
      if (!isTransient(err)) throw err
      onError(err as Error)
      log.warn(
        { db: db.location, attempt, retryInMs: delay, error: (err as Error).message },
        'database unreachable: waiting',
      )
      await new Promise((r) => setTimeout(r, delay))
    }
  }
}

/** Migrations, the token secret, and on an empty database the Demo app. Safe to run from several processes. */
export async function initDatabase(
  db: Db,
  opts: { demo: boolean; log?: Pick<FastifyBaseLogger, 'info'> },
): Promise<Initialized> {
  await migrateToLatest(db.kysely, (p) => {
    // Logged as it starts too: an upgrade's long migration must not look like a hung start-up.
    if (p.phase === 'start')
      opts.log?.info({ migration: p.name, index: p.index, total: p.total }, 'applying database migration')
    else opts.log?.info({ migration: p.name, ms: Math.round(p.ms) }, 'database migration applied')
  })
  if (isPostgres(db.kysely)) await ensurePartitions(db.kysely, Date.now())
  const tokenSecret = await getOrInitSetting(db.kysely, 'token_secret', randomAlnum(48))
  let createdDemo: CreatedApp | null = null
  if (opts.demo && (await countApps(db.kysely)) === 0) {
    // Only the demo page this server serves may use the Demo key; owners widen it with apps set-origins.
    createdDemo = await createApp(db.kysely, { name: 'Demo', allowedOrigins: [] })
    await setSetting(db.kysely, 'demo_app_id', createdDemo.id)
    await setSetting(db.kysely, 'demo_same_origin', '1')
  }
  await lockOlderDemoApp(db)
  const demoAppId = opts.demo ? await getSetting(db.kysely, 'demo_app_id') : null
  const row = demoAppId
    ? await db.kysely
        .selectFrom('apps')
        .select(['id', 'public_key'])
        .where('id', '=', demoAppId)
        .executeTakeFirst()
    : undefined
  return { tokenSecret, createdDemo, demoApp: row ? { id: row.id, publicKey: row.public_key } : null }
}

/**
 * A Demo app made before it was limited to its own page was open to every origin: limit it once.
 * An owner's later `apps set-origins --any` is kept, since the marker is set by then.
 */
async function lockOlderDemoApp(db: Db): Promise<void> {
  if (await getSetting(db.kysely, 'demo_same_origin')) return
  const demoAppId = await getSetting(db.kysely, 'demo_app_id')
  if (demoAppId)
    await db.kysely
      .updateTable('apps')
      .set({ allowed_origins: '[]' })
      .where('id', '=', demoAppId)
      .where('allowed_origins', 'is', null)
      .execute()
  await setSetting(db.kysely, 'demo_same_origin', '1')
}
