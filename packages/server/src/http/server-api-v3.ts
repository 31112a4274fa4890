import type { FastifyInstance, FastifyRequest } from 'fastify'
import { loadEvent, toV3Event, toV3Visit } from '../events/index.js'
import { relatedVisitors } from '../events/related.js'
import { msOf } from '../mappers/dates.js'
import { V3Event, V3RelatedVisitors, V3SearchResult, V3VisitorVisits } from '../schemas/v3.js'
import { deleteVisitorData } from '../store/deletion.js'
import { cursorForRequest, visitorVisits } from '../store/event-search.js'
import { isNoOp, updateEvent } from '../store/event-updates.js'
import { HttpError } from './errors.js'
import {
  appForSecret,
  checkTag,
  jsonWhateverTheType,
  LINKED_ID_MAX,
  noUpdate,
  type ServerApiOptions,
  v3Secret,
} from './server-api.js'
import { emptyOk, errorResponses, ok, stringParam } from './server-api-schemas.js'
import { type SearchQuery, searchEvents, searchQuerySchema } from './server-api-search.js'

const TAGS = ['Server API v3']
const AUTH_HEADER = {
  type: 'object',
  properties: { 'auth-api-key': { type: 'string', description: 'the secret key (or ?api_key=)' } },
}
const API_KEY = { api_key: { type: 'string', description: 'the secret key, when not in Auth-API-Key' } }
const withApiKey = (schema: { properties: Record<string, unknown> } & Record<string, unknown>) => ({
  ...schema,
  properties: { ...schema.properties, ...API_KEY },
})

interface VisitsQuery {
  limit: number
  paginationKey?: string
  before?: number
  request_id?: string
  linked_id?: string
}

/**
 * The commercial Server API v3 (the `@fingerprintjs/fingerprintjs-pro-server-api` 6.x SDK):
 * `Auth-API-Key` header or `api_key` query parameter; errors `{error: {code, message}}`, except
 * GET /visitors/:id's flat `{error: message}`.
 */
export async function serverApiV3Routes(app: FastifyInstance, opts: ServerApiOptions) {
  const auth = (req: FastifyRequest) => appForSecret(opts, v3Secret(req))
  const { db } = opts

  app.get<{ Params: { id: string }; Querystring: VisitsQuery }>(
    '/visitors/:id',
    {
      config: { errorShape: 'flat' },
      schema: {
        tags: TAGS,
        headers: AUTH_HEADER,
        summary: "a visitor's visits, newest first",
        params: stringParam('id', 'visitor id'),
        querystring: withApiKey({
          type: 'object',
          properties: {
            limit: { type: 'integer', minimum: 1, maximum: 500, default: 100 },
            paginationKey: {
              type: 'string',
              maxLength: 64,
              pattern: '^\\d{13}\\.[A-Za-z0-9]{6}$',
              description: 'the requestId of the previous page’s last visit',
            },
            before: { type: 'integer', minimum: 0, description: 'only visits before this time (Unix ms)' },
            request_id: { type: 'string', maxLength: 64 },
            linked_id: { type: 'string', maxLength: LINKED_ID_MAX },
          },
        }),
        response: { ...ok(V3VisitorVisits, "the visitor's visits"), ...errorResponses('flat') },
      },
    },
    async (req) => {
      const found = await auth(req)
      const q = req.query
      const page = await visitorVisits(db, found.id, req.params.id, {
        limit: q.limit,
        after: q.paginationKey
          ? ((await cursorForRequest(db, found.id, q.paginationKey)) ?? undefined)
          : undefined,
        before: q.before === undefined ? undefined : q.before * 1000,
        requestId: q.request_id,
        linkedId: q.linked_id,
      })
      if (!page) throw new HttpError(404, 'VisitorNotFound', 'visitor not found')
      const last = page.visits.at(-1)?.row
      return {
        visitorId: req.params.id,
        visits: page.visits.map(({ row, previous }) =>
          toV3Visit(row, { firstSeenAt: Math.min(page.firstSeenAt, Number(row.ts)), lastSeenAt: previous }),
        ),
        ...(page.more && last ? { lastTimestamp: msOf(last.ts), paginationKey: last.request_id } : {}),
      }
    },
  )

  app.get<{ Querystring: SearchQuery & { limit: number } }>(
    '/events/search',
    {
      config: { errorShape: 'error' },
      schema: {
        tags: TAGS,
        headers: AUTH_HEADER,
        summary: 'search events',
        querystring: withApiKey(searchQuerySchema('v3')),
        response: { ...ok(V3SearchResult, 'the matching events'), ...errorResponses('error') },
      },
    },
    async (req) => {
      const found = await auth(req)
      const { events, next } = await searchEvents(db, found.id, req.query, req.query.limit)
      return { events: events.map(toV3Event), ...(next ? { paginationKey: next } : {}) }
    },
  )

  app.get<{ Params: { requestId: string } }>(
    '/events/:requestId',
    {
      config: { errorShape: 'error' },
      schema: {
        tags: TAGS,
        headers: AUTH_HEADER,
        summary: 'one event',
        params: stringParam('requestId', 'the request id'),
        querystring: withApiKey({ type: 'object', properties: {} }),
        response: { ...ok(V3Event, 'the event'), ...errorResponses('error') },
      },
    },
    async (req) => {
      const found = await auth(req)
      const event = await loadEvent(db, found.id, req.params.requestId)
      if (!event) throw new HttpError(404, 'RequestNotFound', 'request id not found')
      return toV3Event(event)
    },
  )

  // Update bodies come as JSON whatever their content type: parsed in a context of their own.
  await app.register(async (child) => {
    jsonWhateverTheType(child)
    child.put<{
      Params: { requestId: string }
      Body: { linkedId?: string; tag?: unknown; suspect?: boolean }
    }>(
      '/events/:requestId',
      {
        config: { errorShape: 'error' },
        schema: {
          tags: TAGS,
          headers: AUTH_HEADER,
          summary: "change an event's linkedId, tag or suspect flag",
          params: stringParam('requestId', 'the request id'),
          querystring: withApiKey({ type: 'object', properties: {} }),
          body: {
            type: 'object',
            properties: {
              linkedId: { type: 'string', maxLength: LINKED_ID_MAX },
              tag: { type: 'object', description: 'replaces the tag' },
              suspect: { type: 'boolean' },
            },
          },
          response: { ...emptyOk, ...errorResponses('error') },
        },
      },
      async (req, reply) => {
        const found = await auth(req)
        const { linkedId, tag, suspect } = req.body
        checkTag(tag, 'tag')
        const update = { linkedId, tag: tag as Record<string, unknown> | undefined, suspect }
        if (isNoOp(update)) throw noUpdate()
        if (!(await updateEvent(db, found.id, req.params.requestId, update))) {
          throw new HttpError(404, 'RequestNotFound', 'request id not found')
        }
        return reply.code(200).send()
      },
    )
  })

  app.delete<{ Params: { id: string } }>(
    '/visitors/:id',
    {
      config: { errorShape: 'error' },
      schema: {
        tags: TAGS,
        headers: AUTH_HEADER,
        summary: 'delete everything about a visitor, at once',
        params: stringParam('id', 'visitor id'),
        querystring: withApiKey({ type: 'object', properties: {} }),
        response: { ...emptyOk, ...errorResponses('error') },
      },
    },
    async (req, reply) => {
      const found = await auth(req)
      const deleted = await deleteVisitorData(db, found.id, req.params.id)
      if (!deleted) throw new HttpError(404, 'VisitorNotFound', 'visitor id not found')
      req.log.info({ appId: found.id, deleted }, 'visitor data deleted')
      return reply.code(200).send()
    },
  )

  app.get<{ Querystring: { visitor_id: string } }>(
    '/related-visitors',
    {
      config: { errorShape: 'error' },
      schema: {
        tags: TAGS,
        headers: AUTH_HEADER,
        summary: 'other browsers of the same device (see docs/api.md for the rule)',
        querystring: withApiKey(stringParam('visitor_id', 'visitor id')),
        response: { ...ok(V3RelatedVisitors, 'the related visitors'), ...errorResponses('error') },
      },
    },
    async (req) => {
      const found = await auth(req)
      const related = await relatedVisitors(db, found.id, req.query.visitor_id)
      if (!related) throw new HttpError(404, 'VisitorNotFound', 'visitor id not found')
      return { relatedVisitors: related.map((visitorId) => ({ visitorId })) }
    },
  )
}
