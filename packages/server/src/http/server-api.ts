import type { FastifyInstance } from 'fastify'
import type { Kysely } from 'kysely'
import type { App } from '../store/apps.js'
import type { Database } from '../store/schema.js'
import { parseClientJson } from './client-json.js'
import { HttpError } from './errors.js'

/** What the v3 and v4 Server API route plugins get from the server. */
export interface ServerApiOptions {
  db: Kysely<Database>
  /** The app whose secret key this is (constant-time), or null. */
  findAppBySecret(secret: string): Promise<App | null>
}

/** Update bodies are small: a linked id, a tag (16 KiB as JSON at most) and a flag. */
export const UPDATE_BODY_LIMIT = 32 * 1024
export const TAG_LIMIT = 16 * 1024
export const LINKED_ID_MAX = 256

const first = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v)

/** The app of a secret key; 403 as the commercial APIs answer a missing or unknown one. */
export async function appForSecret(opts: ServerApiOptions, key: string | undefined): Promise<App> {
  if (!key) throw new HttpError(403, 'TokenRequired', 'secret API key is required')
  const app = await opts.findAppBySecret(key)
  if (!app) throw new HttpError(403, 'TokenNotFound', 'secret API key not found')
  return app
}

/** v3: the `Auth-API-Key` header, or the `api_key` query parameter. */
export function v3Secret(req: { headers: Record<string, string | string[] | undefined>; query: unknown }) {
  const header = first(req.headers['auth-api-key'])
  if (header) return header
  const q = req.query as { api_key?: unknown } | undefined
  return typeof q?.api_key === 'string' ? q.api_key : undefined
}

/** v4: `Authorization: Bearer <secret>`. */
export function v4Secret(req: { headers: Record<string, string | string[] | undefined> }) {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(first(req.headers.authorization) ?? '')
  return m?.[1]
}

/**
 * The SDKs send update bodies as JSON labelled `text/plain;charset=UTF-8`: in this (encapsulated)
 * context every body is read as JSON whatever its content type. An empty body is left undefined
 * for the schema to refuse.
 */
export function jsonWhateverTheType(app: FastifyInstance) {
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('*', { parseAs: 'string', bodyLimit: UPDATE_BODY_LIMIT }, (_req, body, done) => {
    const text = (body as string).trim()
    if (text === '') return done(null, undefined)
    try {
      done(null, parseClientJson(text))
    } catch (err) {
      done(err as Error, undefined)
    }
  })
}

/** The checks a schema cannot express on an update's tag. */
export function checkTag(tag: unknown, field: string) {
  if (tag === undefined) return
  if (tag === null || typeof tag !== 'object' || Array.isArray(tag)) {
    throw new HttpError(400, 'RequestCannotBeParsed', `invalid body.${field}: must be an object`)
  }
  if (JSON.stringify(tag).length > TAG_LIMIT) {
    throw new HttpError(
      400,
      'RequestCannotBeParsed',
      `invalid body.${field}: over ${TAG_LIMIT} bytes as JSON`,
    )
  }
}

export const noUpdate = () =>
  new HttpError(400, 'RequestCannotBeParsed', 'request body has nothing to update')
