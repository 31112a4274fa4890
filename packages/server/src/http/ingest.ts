import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { IdentifyService } from '../pipeline.js'
import { IdentifyResult } from '../schemas/agent.js'
import type { Components } from '../schemas/stored.js'
import type { App } from '../store/apps.js'
import { parseClientJson } from './client-json.js'
import { HttpError } from './errors.js'
import { errorResponses, ok } from './server-api-schemas.js'

export const INGEST_BODY_LIMIT = 64 * 1024
const TAG_LIMIT = 16 * 1024

/** The identify body's JSON schema (bench:ingest's floor server validates with it too). */
export const INGEST_BODY_SCHEMA = {
  type: 'object',
  properties: {
    v: { type: 'integer', minimum: 1, maximum: 1 },
    apiKey: { type: 'string', maxLength: 128 },
    storedId: { type: ['string', 'null'], maxLength: 256 },
    url: { type: 'string', minLength: 1, maxLength: 2048 },
    referrer: { type: 'string', maxLength: 2048 },
    tag: {},
    linkedId: { type: 'string', maxLength: 256 },
    extendedResult: { type: 'boolean' },
    components: {
      type: 'object',
      maxProperties: 128,
      propertyNames: { pattern: '^[A-Za-z][A-Za-z0-9_]{0,63}$' },
      additionalProperties: {
        type: 'object',
        properties: {
          value: {},
          error: { type: 'string', maxLength: 1000 },
          duration: { type: 'number', minimum: 0 },
        },
        additionalProperties: false,
      },
    },
  },
  required: ['url', 'components'],
  additionalProperties: false,
} as const

interface IngestBody {
  v?: number
  apiKey?: string
  storedId?: string | null
  url: string
  referrer?: string
  tag?: unknown
  linkedId?: string
  extendedResult?: boolean
  components: Components
}

export interface IngestOptions {
  identify: () => IdentifyService
  findApp(publicKey: string): Promise<App | null>
}

function corsHeaders(origin: string | undefined): Record<string, string> {
  return origin
    ? { 'access-control-allow-origin': origin, vary: 'Origin', 'access-control-max-age': '600' }
    : { 'access-control-allow-origin': '*' }
}

/** An empty list admits only this server's own pages: scheme and host as TRUST_PROXY lets us see them. */
function originAllowed(allowed: string[], origin: string, req: FastifyRequest): boolean {
  return allowed.length === 0 ? origin === `${req.protocol}://${req.host}` : allowed.includes(origin)
}

export async function ingestRoutes(app: FastifyInstance, opts: IngestOptions) {
  // The agent posts text/plain (a CORS simple request, no preflight); read it as JSON.
  app.addContentTypeParser('text/plain', { parseAs: 'string' }, (_req, body, done) => {
    try {
      done(null, parseClientJson(body as string))
    } catch (err) {
      done(err as Error, undefined)
    }
  })

  // Every answer, errors included, must be readable by the page, or the agent can't say what went wrong.
  app.addHook('onRequest', async (req, reply) => {
    reply.headers(corsHeaders(req.headers.origin))
  })

  app.options('/v1/identify', async (_req, reply) => {
    reply
      .headers({
        'access-control-allow-methods': 'POST, OPTIONS',
        'access-control-allow-headers': 'content-type',
      })
      .code(204)
      .send()
  })

  app.post<{ Body: IngestBody }>(
    '/v1/identify',
    {
      schema: {
        body: INGEST_BODY_SCHEMA,
        response: { ...ok(IdentifyResult, 'the identification'), ...errorResponses('error', true) },
      },
      bodyLimit: INGEST_BODY_LIMIT,
      config: { errorShape: 'error' },
    },
    async (req) => {
      const body = req.body
      if (!body.apiKey) throw new HttpError(401, 'TokenRequired', 'API key required')
      const found = await opts.findApp(body.apiKey)
      if (!found) throw new HttpError(403, 'TokenNotFound', 'API key not found')
      const origin = req.headers.origin
      if (found.allowedOrigins && !(origin && originAllowed(found.allowedOrigins, origin, req))) {
        throw new HttpError(
          403,
          'OriginNotAllowed',
          `origin ${origin ?? '(none)'} is not allowed for this app`,
        )
      }
      let url: URL
      try {
        url = new URL(body.url)
      } catch {
        throw new HttpError(400, 'RequestCannotBeParsed', 'invalid body.url: must be an absolute URL')
      }
      if (url.protocol !== 'http:' && url.protocol !== 'https:') {
        throw new HttpError(400, 'RequestCannotBeParsed', 'invalid body.url: must be an http(s) URL')
      }
      if (body.tag !== undefined && JSON.stringify(body.tag).length > TAG_LIMIT) {
        throw new HttpError(400, 'RequestCannotBeParsed', `invalid body.tag: over ${TAG_LIMIT} bytes as JSON`)
      }
      return opts.identify().identify(body, {
        app: found,
        ip: req.ip,
        headerUserAgent: req.headers['user-agent'],
      })
    },
  )
}
