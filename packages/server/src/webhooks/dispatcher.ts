import type { FastifyBaseLogger } from 'fastify'
import type { Kysely } from 'kysely'
import type { Database } from '../store/schema.js'

export interface Dispatcher {
  stop(): Promise<void>
}

/** Delivers queued webhook events (store/webhooks.ts) until stopped. */
export function startWebhookDispatcher(_db: Kysely<Database>, _log: FastifyBaseLogger): Dispatcher {
  return { async stop() {} }
}
