import type { FastifyInstance } from 'fastify'
import type { GeoResolver } from '../enrich/geo.js'
import { Healthz, Readyz } from '../schemas/health.js'
import type { Db } from '../store/db.js'
import { pendingMigrations, ping } from '../store/migrations.js'
import { ok } from './server-api-schemas.js'

export async function healthRoutes(
  app: FastifyInstance,
  opts: { db: Db; geo: GeoResolver; startup: { waitingFor: string | null } },
) {
  app.get('/healthz', { schema: { response: ok(Healthz, 'the process is up') } }, async () => ({
    status: 'ok',
  }))

  app.get(
    '/readyz',
    { schema: { response: { ...ok(Readyz, 'ready'), 503: { ...Readyz, description: 'not ready' } } } },
    async (_req, reply) => {
      const checks: Record<string, unknown> = {}
      let ready = opts.startup.waitingFor === null
      if (!ready) checks.startup = { ok: false, waitingFor: opts.startup.waitingFor }
      try {
        await ping(opts.db.kysely)
        checks.database = { ok: true, dialect: opts.db.dialect }
        const pending = await pendingMigrations(opts.db.kysely)
        checks.migrations = { ok: pending.length === 0, pending }
        ready &&= pending.length === 0
      } catch (err) {
        ready = false
        checks.database = { ok: false, dialect: opts.db.dialect, error: (err as Error).message }
      }
      checks.geo = { ok: true, ...opts.geo.info() }
      return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready', checks })
    },
  )
}
