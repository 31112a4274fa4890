import swagger from '@fastify/swagger'
import Fastify, { type FastifyInstance } from 'fastify'
import type { Config } from './config.js'
import { demoRoutes } from './dashboard/demo.js'
import { dashboardRoutes } from './dashboard/index.js'
import { type GeoResolver, openGeo } from './enrich/geo.js'
import { agentScriptRoutes, loadAgentScript } from './http/agent-script.js'
import { installJsonParser } from './http/client-json.js'
import { installErrorHandling, sendError } from './http/errors.js'
import { healthRoutes } from './http/health.js'
import { INGEST_BODY_LIMIT, ingestRoutes } from './http/ingest.js'
import { installRateLimits } from './http/rate-limit.js'
import { serverApiV3Routes } from './http/server-api-v3.js'
import { serverApiV4Routes } from './http/server-api-v4.js'
import { visitorsV1Routes } from './http/visitors-v1.js'
import { type TokenKeys, verifyToken } from './identify/token.js'
import type { Metrics } from './metrics.js'
import { IdentifyService } from './pipeline.js'
import { type App, type CreatedApp, findAppByPublicKey, findAppBySecretKey } from './store/apps.js'
import { type Db, openDatabase } from './store/db.js'
import { type Initialized, initDatabase, waitForDatabase } from './store/init.js'
import { startMaintenance } from './store/partitions.js'
import { tokenKeySource } from './store/token-secrets.js'
import { SERVER_VERSION } from './version.js'
import { type Dispatcher, startWebhookDispatcher } from './webhooks/dispatcher.js'

export interface Sightline {
  app: FastifyInstance
  db: Db
  geo: GeoResolver
  /** Set when this start created the Demo app (its keys are shown once). */
  createdDemo: CreatedApp | null
  /** Prometheus metrics, when config.metricsListen asks for them (the caller serves them). */
  metrics: Metrics | null
  /** Resolves once the database is reachable, migrated and initialised. */
  ready: Promise<void>
  close(): Promise<void>
}

export interface CreateOptions {
  /** Pass false to silence request logs (tests); default: pino at config.logLevel. */
  logger?: boolean
  /** Where the logs go (tests read them); default stdout. */
  logStream?: { write(line: string): unknown }
  /** Reuse an open database (tests); it is closed with the server. */
  db?: Db
  geo?: GeoResolver
  /**
   * false: return at once, with every route but /healthz, /readyz and /agent.js answering 503
   * until the database is ready (so the server can listen while it waits). Default: wait.
   */
  waitForDatabase?: boolean
  /** false: no partition upkeep or retention timer (tests that drive it themselves). */
  maintenance?: boolean
  /** false: queue webhook deliveries but don't send them from this server. */
  webhooks?: boolean
}

// Keys travel in headers and, for some SDKs, in the query string: neither is ever logged.
const SECRET_PARAMS = new Set(['api_key', 'apikey', 'token'])

/**
 * The URL with the value of every key-carrying query parameter replaced, its name compared once
 * decoded as the router decodes it (`api%5Fkey`, `%61pi_key`, `api_key[]`…); a name that does not
 * decode has its value replaced too.
 */
export function redactUrl(url: string): string {
  const q = url.indexOf('?')
  if (q < 0) return url
  const params = url
    .slice(q + 1)
    .split('&')
    .map((part) => {
      const eq = part.indexOf('=')
      const raw = eq < 0 ? part : part.slice(0, eq)
      let name: string | null
      try {
        name = decodeURIComponent(raw.replaceAll('+', ' '))
      } catch {
        name = null
      }
      const secret = name === null || SECRET_PARAMS.has(name.trim().replace(/\[\]$/, '').toLowerCase())
      return secret && eq >= 0 ? `${raw}=[redacted]` : part
    })
  return `${url.slice(0, q + 1)}${params.join('&')}`
}

/** Caches public-key lookups briefly: the hot path of every identification. */
function appCache(db: Db, ttlMs = 5000) {
  const cache = new Map<string, { app: App | null; until: number }>()
  return async (key: string) => {
    const hit = cache.get(key)
    const now = Date.now()
    if (hit && hit.until > now) return hit.app
    const app = await findAppByPublicKey(db.kysely, key)
    if (cache.size > 10_000) cache.clear()
    cache.set(key, { app, until: now + ttlMs })
    return app
  }
}

export async function createSightline(config: Config, opts: CreateOptions = {}): Promise<Sightline> {
  const db =
    opts.db ??
    openDatabase({
      databaseUrl: config.databaseUrl,
      dataDir: config.dataDir,
      poolSize: config.dbPoolSize,
      synchronous: config.sqliteSynchronous,
    })
  const ownsGeo = opts.geo === undefined
  let geo: GeoResolver
  try {
    geo = opts.geo ?? (await openGeo(config.geo))
  } catch (err) {
    await db.close()
    throw err
  }

  const app = Fastify({
    // A hop count trusts that many proxies nearest to the server, as proxy-addr does.
    trustProxy:
      typeof config.trustProxy === 'number'
        ? (
            (hops: number) => (_addr: string, i: number) =>
              i < hops
          )(config.trustProxy)
        : config.trustProxy,
    bodyLimit: INGEST_BODY_LIMIT,
    forceCloseConnections: 'idle',
    // A client that sends its request slowly (a byte every few seconds) would hold a socket forever.
    requestTimeout: config.timeouts.requestMs,
    keepAliveTimeout: config.timeouts.keepAliveMs,
    http: {
      headersTimeout: config.timeouts.headersMs,
      // Node enforces both limits on this period (30 s by default): a fraction of the shorter one.
      connectionsCheckingInterval: Math.min(1000, Math.max(50, Math.floor(config.timeouts.headersMs / 4))),
    },
    logger:
      opts.logger === false
        ? false
        : {
            level: config.logLevel,
            ...(opts.logStream ? { stream: opts.logStream } : {}),
            redact: ['req.headers.auth', 'req.headers.authorization', 'req.headers["auth-api-key"]'],
            serializers: {
              req: (req) => ({ method: req.method, url: redactUrl(req.url), remoteAddress: req.ip }),
            },
          },
  })

  let state: (Initialized & { identify: IdentifyService; tokenKeys: () => Promise<TokenKeys> }) | null = null
  let maintenance: ReturnType<typeof startMaintenance> | null = null
  let dispatcher: Dispatcher | null = null
  const startup: { waitingFor: string | null } = { waitingFor: 'database' }
  const ALWAYS = new Set(['/healthz', '/readyz', '/agent.js'])
  app.addHook('onRequest', async (req, reply) => {
    if (state || ALWAYS.has(req.url.split('?')[0] ?? '')) return
    reply.header('retry-after', '5')
    return sendError(req, reply, 503, 'StateNotReady', 'Sightline is starting: waiting for the database')
  })
  installErrorHandling(app)
  // prom-client is loaded only when metrics are asked for.
  const metrics = config.metricsListen
    ? new (await import('./metrics.js')).Metrics(db, { dispatches: opts.webhooks !== false })
    : null
  metrics?.instrument(app)
  installJsonParser(app)
  // Before any route: it collects each route's schema as it is added.
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Sightline',
        version: SERVER_VERSION,
        description: 'Self-hosted visitor identification',
      },
    },
  })
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger())
  installRateLimits(app, config.rateLimits)
  const script = loadAgentScript()
  await app.register(healthRoutes, { db, geo, startup })
  await app.register(agentScriptRoutes, { script })
  await app.register(ingestRoutes, { identify: () => state!.identify, findApp: appCache(db) })
  await app.register(visitorsV1Routes, {
    db: db.kysely,
    findAppBySecret: (key: string) => findAppBySecretKey(db.kysely, key),
  })
  const serverApi = { db: db.kysely, findAppBySecret: (key: string) => findAppBySecretKey(db.kysely, key) }
  await app.register(serverApiV3Routes, serverApi)
  await app.register(serverApiV4Routes, serverApi)
  await app.register(dashboardRoutes, { db: db.kysely, limits: config.sessions })
  await app.register(demoRoutes, {
    db: db.kysely,
    demo: () => state?.demoApp ?? null,
    agentPath: '/agent.js',
    verifyStoredId: async (appId: string, storedId: string) => {
      const keys = await state!.tokenKeys()
      return verifyToken(keys.verify, appId, storedId, { nowMs: Date.now(), maxAgeMs: keys.maxAgeMs })
    },
  })

  const ready = (async () => {
    await waitForDatabase(db, app.log, (err) => {
      startup.waitingFor = `database (${err.message})`
    })
    const init = await initDatabase(db, { demo: config.demo, log: app.log })
    const tokenKeys = tokenKeySource(db.kysely, config.storedIdMaxAgeDays * 86_400_000)
    const observe = metrics && ((path: string, bot: string) => metrics.identifications.inc({ path, bot }))
    state = {
      ...init,
      tokenKeys,
      identify: new IdentifyService(db.kysely, geo, tokenKeys, observe ?? undefined),
    }
    startup.waitingFor = null
    if (opts.webhooks !== false)
      dispatcher = startWebhookDispatcher(
        db.kysely,
        app.log,
        metrics?.webhookAttempts ? { onAttempt: (outcome) => metrics.webhookAttempts?.inc({ outcome }) } : {},
      )
    if (opts.maintenance !== false) {
      maintenance = startMaintenance(db.kysely, { retentionDays: config.retentionDays }, app.log)
      if (config.retentionDays !== null) await maintenance.run()
    }
  })()

  const sightline: Sightline = {
    app,
    db,
    geo,
    get createdDemo() {
      return state?.createdDemo ?? null
    },
    ready,
    metrics,
    async close() {
      maintenance?.stop()
      await app.close()
      await dispatcher?.stop()
      await db.close()
      if (ownsGeo) geo.close()
    },
  }
  if (opts.waitForDatabase !== false) {
    try {
      await ready
    } catch (err) {
      await sightline.close()
      throw err
    }
  } else {
    ready.catch(() => {}) // the caller awaits `ready` and handles its failure
  }
  return sightline
}
