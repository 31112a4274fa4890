import type { FastifyInstance, FastifyRequest } from 'fastify'
import { loadEvent, toV4Event } from '../events/index.js'
import { V4Event, V4SearchResult } from '../schemas/v4.js'
import { deleteVisitorData } from '../store/deletion.js'
import { isNoOp, updateEvent } from '../store/event-updates.js'
import { HttpError } from './errors.js'
import {
  appForSecret,
  checkTag,
  jsonWhateverTheType,
  LINKED_ID_MAX,
  noUpdate,
  type ServerApiOptions,
  v4Secret,
} from './server-api.js'
import { emptyOk, errorResponses, ok, stringParam } from './server-api-schemas.js'
import { type SearchQuery, searchEvents, searchQuerySchema } from './server-api-search.js'

const TAGS = ['Server API v4']
const CONFIG = { errorShape: 'v4' as const }
const AUTH_HEADER = {
  type: 'object',
  properties: { authorization: { type: 'string', description: 'Bearer <secret key>' } },
}

/**
 * The commercial Server API v4 (the `@fingerprint/node-sdk` 7.x SDK): `Authorization: Bearer
 * <secret>`, flat snake_case events, errors `{error: {code, message}}` with snake_case codes.
 */
export async function serverApiV4Routes(app: FastifyInstance, opts: ServerApiOptions) {
  const auth = (req: FastifyRequest) => appForSecret(opts, v4Secret(req))
  const { db } = opts

  app.get<{ Params: { eventId: string } }>(
    '/v4/events/:eventId',
    {
      config: CONFIG,
      schema: {
        tags: TAGS,
        summary: 'one event',
        headers: AUTH_HEADER,
        params: stringParam('eventId', 'the event id (a request id)'),
        response: { ...ok(V4Event, 'the event'), ...errorResponses('v4') },
      },
    },
    async (req) => {
      const found = await auth(req)
      const event = await loadEvent(db, found.id, req.params.eventId)
      if (!event) throw new HttpError(404, 'RequestNotFound', 'event not found')
      return toV4Event(event)
    },
  )

  app.get<{ Querystring: SearchQuery & { limit: number } }>(
    '/v4/events',
    {
      config: CONFIG,
      schema: {
        tags: TAGS,
        summary: 'search events',
        headers: AUTH_HEADER,
        querystring: searchQuerySchema('v4'),
        response: { ...ok(V4SearchResult, 'the matching events'), ...errorResponses('v4') },
      },
    },
    async (req) => {
      const found = await auth(req)
      const { events, next } = await searchEvents(db, found.id, req.query, req.query.limit)
      return { events: events.map(toV4Event), ...(next ? { pagination_key: next } : {}) }
    },
  )

  // Update bodies come as JSON whatever their content type: parsed in a context of their own.
  await app.register(async (child) => {
    jsonWhateverTheType(child)
    child.patch<{
      Params: { eventId: string }
      Body: { linked_id?: string; tags?: unknown; suspect?: boolean }
    }>(
      '/v4/events/:eventId',
      {
        config: CONFIG,
        schema: {
          tags: TAGS,
          summary: "change an event's linked_id, tags or suspect flag",
          headers: AUTH_HEADER,
          params: stringParam('eventId', 'the event id (a request id)'),
          body: {
            type: 'object',
            properties: {
              linked_id: { type: 'string', maxLength: LINKED_ID_MAX },
              tags: { type: 'object', description: 'replaces the tags' },
              suspect: { type: 'boolean' },
            },
          },
          response: { ...emptyOk, ...errorResponses('v4') },
        },
      },
      async (req, reply) => {
        const found = await auth(req)
        const { linked_id: linkedId, tags, suspect } = req.body
        checkTag(tags, 'tags')
        const update = { linkedId, tag: tags as Record<string, unknown> | undefined, suspect }
        if (isNoOp(update)) throw noUpdate()
        if (!(await updateEvent(db, found.id, req.params.eventId, update))) {
          throw new HttpError(404, 'RequestNotFound', 'event not found')
        }
        return reply.code(200).send()
      },
    )
  })

  app.delete<{ Params: { visitorId: string } }>(
    '/v4/visitors/:visitorId',
    {
      config: CONFIG,
      schema: {
        tags: TAGS,
        summary: 'delete everything about a visitor, at once',
        headers: AUTH_HEADER,
        params: stringParam('visitorId', 'visitor id'),
        response: { ...emptyOk, ...errorResponses('v4') },
      },
    },
    async (req, reply) => {
      const found = await auth(req)
      const deleted = await deleteVisitorData(db, found.id, req.params.visitorId)
      if (!deleted) throw new HttpError(404, 'VisitorNotFound', 'visitor not found')
      req.log.info({ appId: found.id, deleted }, 'visitor data deleted')
      return reply.code(200).send()
    },
  )
}
