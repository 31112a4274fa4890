import type { ErrorShape } from './errors.js'

/** JSON schemas the v3/v4 routes share; they are what /openapi.json shows. */

/** An object whose fields are served as they are (documented in docs/api.md and docs/events.md). */
export const looseObject = (description: string, properties: Record<string, unknown> = {}) => ({
  type: 'object',
  description,
  properties,
  additionalProperties: true,
})

export function errorSchema(shape: Exclude<ErrorShape, 'message'>) {
  if (shape === 'flat') {
    return { type: 'object', properties: { error: { type: 'string' } }, required: ['error'] }
  }
  return {
    type: 'object',
    properties: {
      error: {
        type: 'object',
        properties: { code: { type: 'string' }, message: { type: 'string' } },
        required: ['code', 'message'],
      },
    },
    required: ['error'],
  }
}

/** The error answers of a route: 400, 403, 404 (and 429, 503 from the server around it). */
export function errorResponses(shape: Exclude<ErrorShape, 'message'>) {
  const s = errorSchema(shape)
  return {
    400: { description: 'invalid parameters or body', ...s },
    403: { description: 'secret key missing or unknown', ...s },
    404: { description: 'not found in this app', ...s },
    429: { description: 'too many requests (see Retry-After)', ...s },
  }
}

export const emptyOk = { 200: { description: 'done (empty body)', type: 'null' } }

export const stringParam = (name: string, description: string, maxLength = 64) => ({
  type: 'object',
  required: [name],
  properties: { [name]: { type: 'string', minLength: 1, maxLength, description } },
})

export const v3Event = looseObject('an event: {products: {identification, botd, ipInfo, incognito, …}}', {
  products: looseObject('one entry per product: {data} or {error}'),
})

export const v4Event = looseObject('an event, flat (event_id, timestamp, identification, bot, …)', {
  event_id: { type: 'string' },
  timestamp: { type: 'integer' },
})
