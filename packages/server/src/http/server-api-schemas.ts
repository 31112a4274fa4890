import type { ErrorShape } from './errors.js'

/** JSON schemas the routes share; they are what /openapi.json shows. */

export function errorSchema(shape: ErrorShape) {
  if (shape === 'message') {
    return {
      type: 'object',
      properties: { message: { type: 'string', description: 'what went wrong' } },
      required: ['message'],
    }
  }
  if (shape === 'flat') {
    return {
      type: 'object',
      properties: { error: { type: 'string', description: 'what went wrong' } },
      required: ['error'],
    }
  }
  return {
    type: 'object',
    properties: {
      error: {
        type: 'object',
        description: 'the error',
        properties: {
          code: { type: 'string', description: 'a stable code (docs/api.md)' },
          message: { type: 'string', description: 'what went wrong' },
        },
        required: ['code', 'message'],
      },
    },
    required: ['error'],
  }
}

/** The error answers of a route: 400, 403, 404 (and 429, 503 from the server around it). */
export function errorResponses(shape: ErrorShape, unauthorized = false) {
  const s = errorSchema(shape)
  return {
    400: { description: 'invalid parameters or body', ...s },
    ...(unauthorized ? { 401: { description: 'key missing', ...s } } : {}),
    403: { description: unauthorized ? 'key unknown' : 'secret key missing or unknown', ...s },
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

/** A 200 answer: its schema (schemas/), what Fastify serializes with and /openapi.json shows. */
export const ok = (schema: object, description: string) => ({ 200: { ...schema, description } })
