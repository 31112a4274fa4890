import type { Kysely } from 'kysely'
import { previousVisits, visitorsFirstSeen } from '../store/events.js'
import type { Database } from '../store/schema.js'
import { findVisit, type VisitRow } from '../store/visits.js'
import type { LoadedEvent } from './loaded.js'
import { computeVelocities } from './velocity.js'

export async function loadEvents(
  db: Kysely<Database>,
  appId: string,
  rows: VisitRow[],
): Promise<LoadedEvent[]> {
  if (rows.length === 0) return []
  const firstSeen = await visitorsFirstSeen(db, appId, [...new Set(rows.map((r) => r.visitor_id))])
  const firstOf = (r: VisitRow) => Math.min(firstSeen.get(r.visitor_id) ?? Number(r.ts), Number(r.ts))
  const since = Math.min(...rows.map(firstOf))
  const [previous, velocity] = await Promise.all([
    previousVisits(
      db,
      appId,
      rows.map((r) => ({ requestId: r.request_id, ts: Number(r.ts) })),
      since,
    ),
    computeVelocities(db, appId, rows),
  ])
  return rows.map((row, i) => ({
    row,
    firstSeenAt: firstOf(row),
    lastSeenAt: previous.get(row.request_id) ?? null,
    velocity: velocity[i] ?? null,
  }))
}

export async function loadEvent(
  db: Kysely<Database>,
  appId: string,
  requestId: string,
): Promise<LoadedEvent | null> {
  const row = await findVisit(db, appId, requestId)
  if (!row) return null
  const [event] = await loadEvents(db, appId, [row])
  return event ?? null
}
