import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'

/** How a route reports errors: the spec's `{message}` or the agent protocol's `{error: {code, message}}`. */
export type ErrorShape = 'message' | 'error'

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
  const shape = req.routeOptions.config?.errorShape ?? 'error'
  return reply.code(status).send(shape === 'message' ? { message } : { error: { code, message } })
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
