import type { Kysely } from 'kysely'
import { loadEvent, loadEvents } from '../events/load.js'
import { toWebhookBody } from '../mappers/webhook.js'
import type { Database } from '../store/schema.js'
import { findVisit, type VisitRow } from '../store/visits.js'

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

/**
 * The bodies of several events of one app at once: their previous visits and velocities are read once
 * for the lot (events/load.ts), not once per event. Events that no longer exist are absent.
 */
export async function buildBodies(
  db: Kysely<Database>,
  appId: string,
  eventIds: string[],
  format: 'v3' | 'v4',
): Promise<Map<string, string>> {
  const rows = (await Promise.all(eventIds.map((id) => findVisit(db, appId, id)))).filter(
    (r): r is VisitRow => r !== undefined,
  )
  const events = await loadEvents(db, appId, rows)
  return new Map(events.map((e) => [e.row.request_id, JSON.stringify(toWebhookBody(e, format))]))
}
