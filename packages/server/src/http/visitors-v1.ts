import type { FastifyInstance } from 'fastify'
import type { Kysely } from 'kysely'
import { toV1Visit, toVisitDetail } from '../mappers/v1.js'
import { V1History, V1VisitDetail } from '../schemas/v1.js'
import type { App } from '../store/apps.js'
import type { Database } from '../store/schema.js'
import { findVisit, listVisitorVisits } from '../store/visits.js'
import { HttpError } from './errors.js'
import { errorResponses, ok } from './server-api-schemas.js'

export interface HistoryQuery {
  limit?: number
  before?: string
}

/** The visitor's history for one app; null when the visitor has no visits there. */
export async function visitorHistory(
  db: Kysely<Database>,
  appId: string,
  visitorId: string,
  q: HistoryQuery,
) {
  let before: { ts: number; requestId: string } | undefined
  if (q.before) {
    const v = await findVisit(db, appId, q.before)
    if (!v || v.visitor_id !== visitorId) {
      throw new HttpError(400, 'RequestCannotBeParsed', `before: no visit ${q.before} for this visitor`)
    }
    before = { ts: Number(v.ts), requestId: v.request_id }
  }
  const rows = await listVisitorVisits(db, appId, visitorId, { limit: q.limit ?? 100, before })
  if (rows.length === 0 && !before) return null
  return rows.map(toV1Visit)
}

export interface V1Options {
  db: Kysely<Database>
  findAppBySecret(secret: string): Promise<App | null>
}

export async function visitorsV1Routes(app: FastifyInstance, opts: V1Options) {
  const authorize = async (auth: string | string[] | undefined) => {
    const key = Array.isArray(auth) ? auth[0] : auth
    if (!key) throw new HttpError(401, 'TokenRequired', 'Auth header with a secret key is required')
    const found = await opts.findAppBySecret(key)
    if (!found) throw new HttpError(403, 'TokenNotFound', 'secret key not found')
    return found
  }

  app.get<{ Params: { requestId: string } }>(
    '/v1/visits/:requestId',
    {
      config: { errorShape: 'message' },
      schema: {
        params: { type: 'object', properties: { requestId: { type: 'string', maxLength: 64 } } },
        response: {
          ...ok(V1VisitDetail, 'the visit, with why it matched'),
          ...errorResponses('message', true),
        },
      },
    },
    async (req, reply) => {
      const found = await authorize(req.headers.auth)
      const row = await findVisit(opts.db, found.id, req.params.requestId)
      if (!row) return reply.code(404).send({ message: `RequestID ${req.params.requestId} not found` })
      return toVisitDetail(row)
    },
  )

  app.get<{ Params: { id: string }; Querystring: HistoryQuery }>(
    '/v1/visitors/:id',
    {
      config: { errorShape: 'message' },
      schema: {
        params: { type: 'object', properties: { id: { type: 'string', maxLength: 256 } } },
        querystring: {
          type: 'object',
          properties: {
            limit: { type: 'integer', minimum: 1, maximum: 1000 },
            before: { type: 'string', pattern: '^\\d{13}\\.[A-Za-z0-9]{6}$' },
          },
        },
        response: {
          ...ok(V1History, "the visitor's visits, newest first"),
          ...errorResponses('message', true),
        },
      },
    },
    async (req, reply) => {
      const found = await authorize(req.headers.auth)
      const history = await visitorHistory(opts.db, found.id, req.params.id, req.query)
      if (history === null) {
        return reply.code(404).send({ message: `VisitorID ${req.params.id} not found` })
      }
      return history
    },
  )
}
