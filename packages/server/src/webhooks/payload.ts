import type { Kysely } from 'kysely'
import { loadEvent } from '../events/load.js'
import { toWebhookBody } from '../mappers/webhook.js'
import type { Database } from '../store/schema.js'

/**
 * The JSON text a webhook receives for one event: the flat v4 event, or the v3 webhook body.
 * null when the event no longer exists (deleted visitor, retention).
 */
export async function buildBody(
  db: Kysely<Database>,
  appId: string,
  eventId: string,
  format: 'v3' | 'v4',
): Promise<string | null> {
  const event = await loadEvent(db, appId, eventId)
  if (!event) return null
  return JSON.stringify(toWebhookBody(event, format))
}
