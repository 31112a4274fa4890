import Fastify, { type FastifyInstance } from 'fastify'
import type { Config } from './config.js'
import { demoRoutes } from './dashboard/demo.js'
import { type GeoResolver, openGeo } from './enrich/geo.js'
import { agentScriptRoutes, loadAgentScript } from './http/agent-script.js'
import { installErrorHandling } from './http/errors.js'
import { healthRoutes } from './http/health.js'
import { INGEST_BODY_LIMIT, ingestRoutes } from './http/ingest.js'
import { visitorsV1Routes } from './http/visitors-v1.js'
import { IdentifyService } from './pipeline.js'
import {
  type App,
  type CreatedApp,
  countApps,
  createApp,
  findAppByPublicKey,
  findAppBySecretKey,
} from './store/apps.js'
import { type Db, openDatabase } from './store/db.js'
import { migrateToLatest } from './store/migrations.js'
import { getOrInitSetting, getSetting, setSetting } from './store/settings.js'
import { randomAlnum } from './util/random.js'

export interface Sightline {
  app: FastifyInstance
  db: Db
  geo: GeoResolver
  /** Set when this start created the Demo app (its keys are shown once). */
  createdDemo: CreatedApp | null
  close(): Promise<void>
}

export interface CreateOptions {
  /** Pass false to silence request logs (tests); default: pino at config.logLevel. */
  logger?: boolean
  /** Reuse an open database (tests); it is closed with the server. */
  db?: Db
  geo?: GeoResolver
}

// Keys travel in headers and, for some SDKs, in the query string: neither is ever logged.
const SECRET_QUERY = /([?&](?:api_key|apiKey|token)=)[^&]*/gi
export const redactUrl = (url: string) => url.replace(SECRET_QUERY, '$1[redacted]')

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
    openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolSize: config.dbPoolSize })
  let geo: GeoResolver | undefined = opts.geo
  const ownsGeo = opts.geo === undefined
  try {
    await migrateToLatest(db.kysely)
    geo ??= await openGeo(config.geo)
    const tokenSecret = await getOrInitSetting(db.kysely, 'token_secret', randomAlnum(48))

    let createdDemo: CreatedApp | null = null
    if (config.demo && (await countApps(db.kysely)) === 0) {
      createdDemo = await createApp(db.kysely, { name: 'Demo' })
      await setSetting(db.kysely, 'demo_app_id', createdDemo.id)
    }
    const demoAppId = config.demo ? await getSetting(db.kysely, 'demo_app_id') : null
    const demoApp = demoAppId
      ? await db.kysely
          .selectFrom('apps')
          .select(['id', 'public_key'])
          .where('id', '=', demoAppId)
          .executeTakeFirst()
      : undefined

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
      logger:
        opts.logger === false
          ? false
          : {
              level: config.logLevel,
              redact: ['req.headers.auth', 'req.headers.authorization', 'req.headers["auth-api-key"]'],
              serializers: {
                req: (req) => ({ method: req.method, url: redactUrl(req.url), remoteAddress: req.ip }),
              },
            },
    })
    installErrorHandling(app)
    const script = loadAgentScript()
    const identify = new IdentifyService(db.kysely, geo, tokenSecret)
    await app.register(healthRoutes, { db, geo })
    await app.register(agentScriptRoutes, { script })
    await app.register(ingestRoutes, { identify, findApp: appCache(db) })
    await app.register(visitorsV1Routes, {
      db: db.kysely,
      findAppBySecret: (key: string) => findAppBySecretKey(db.kysely, key),
    })
    if (demoApp) {
      await app.register(demoRoutes, {
        db: db.kysely,
        appId: demoApp.id,
        publicKey: demoApp.public_key,
        agentPath: '/agent.js',
      })
    } else {
      app.get('/', async () => ({ name: 'sightline', docs: 'see README.md', health: '/healthz' }))
    }

    const openGeoResolver = geo
    return {
      app,
      db,
      geo: openGeoResolver,
      createdDemo,
      async close() {
        await app.close()
        await db.close()
        if (ownsGeo) openGeoResolver.close()
      },
    }
  } catch (err) {
    if (ownsGeo) geo?.close()
    await db.close()
    throw err
  }
}
