import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'

/**
 * How a route reports errors: the spec's `{message}`; `{error: {code, message}}` with PascalCase codes
 * (agent protocol, v3 Server API); v3 `GET /visitors/:id`'s flat `{error: message}`; or v4's
 * `{error: {code, message}}` with snake_case codes.
 */
export type ErrorShape = 'message' | 'error' | 'flat' | 'v4'

/** v4 names for our (v3, PascalCase) error codes. */
const V4_CODES: Record<string, string> = {
  RequestCannotBeParsed: 'request_cannot_be_parsed',
  TokenRequired: 'secret_api_key_required',
  TokenNotFound: 'secret_api_key_not_found',
  RequestNotFound: 'event_not_found',
  VisitorNotFound: 'visitor_not_found',
  TooManyRequests: 'too_many_requests',
  StateNotReady: 'state_not_ready',
  PayloadTooLarge: 'payload_too_large',
  Failed: 'failed',
}

export const v4Code = (code: string) =>
  V4_CODES[code] ?? code.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase()

export function errorBody(shape: ErrorShape, code: string, message: string): unknown {
  if (shape === 'message') return { message }
  if (shape === 'flat') return { error: message }
  return { error: { code: shape === 'v4' ? v4Code(code) : code, message } }
}

declare module 'fastify' {
  interface FastifyContextConfig {
    errorShape?: ErrorShape
  }
}

export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message)
  }
}

export function sendError(
  req: FastifyRequest,
  reply: FastifyReply,
  status: number,
  code: string,
  message: string,
) {
  const shape = req.routeOptions?.config?.errorShape ?? 'error'
  return reply.code(status).send(errorBody(shape, code, message))
}

const CODES: Record<number, string> = {
  400: 'RequestCannotBeParsed',
  401: 'TokenRequired',
  403: 'TokenNotFound',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  413: 'PayloadTooLarge',
  415: 'UnsupportedMediaType',
  429: 'TooManyRequests',
  503: 'StateNotReady',
}

function describe(err: FastifyError): string {
  if (err.validation) {
    const ctx = err.validationContext ?? 'request'
    const first = err.validation[0]
    const where = first?.instancePath ? `${ctx}${first.instancePath.replaceAll('/', '.')}` : ctx
    return `invalid ${where}: ${first?.message ?? err.message}`
  }
  if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return 'request body is too large'
  if (err.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') return 'request body is empty'
  return err.message
}

export function installErrorHandling(app: FastifyInstance) {
  app.setErrorHandler((err: FastifyError, req, reply) => {
    if (err instanceof HttpError) {
      reply.headers(err.headers)
      return sendError(req, reply, err.statusCode, err.code, err.message)
    }
    const status = err.statusCode ?? 500
    if (status >= 400 && status < 500) {
      return sendError(req, reply, status, CODES[status] ?? 'BadRequest', describe(err))
    }
    req.log.error({ err }, 'request failed')
    return sendError(req, reply, 500, 'Failed', 'internal server error')
  })
  app.setNotFoundHandler((req, reply) =>
    reply.code(404).send({ message: `Route ${req.method} ${req.url.split('?')[0]} not found` }),
  )
}
