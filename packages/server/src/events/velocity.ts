import type { Kysely } from 'kysely'
import { VELOCITY_ROW_CAP, WINDOWS_US, type WindowCounts, windowCounts } from '../store/events.js'
import type { Database } from '../store/schema.js'
import type { VelocityCounts, Windows } from './loaded.js'

/**
 * The windows a count can be served for: all when fewer than the cap were read; otherwise only those
 * the rows read reach past (the oldest row read is at or before the window's start).
 */
function windows(c: WindowCounts, counts: [number, number, number], end: number): Windows | null {
  const complete = (w: number) => c.rows < VELOCITY_ROW_CAP || (c.oldest !== null && c.oldest <= end - w)
  if (!complete(WINDOWS_US.h1)) return null
  const out: Windows = { m5: counts[0], h1: counts[1] }
  if (complete(WINDOWS_US.h24)) out.h24 = counts[2]
  return out
}

/** Velocity of one visit: its visitor's, its IP's and its linked id's activity in the windows ending at it. */
export async function computeVelocity(
  db: Kysely<Database>,
  appId: string,
  row: { visitor_id: string; ip: string; linked_id: string | null; ts: number },
): Promise<VelocityCounts> {
  const end = Number(row.ts)
  const [visitor, ip, linked] = await Promise.all([
    windowCounts(db, appId, { column: 'visitor_id', value: row.visitor_id }, end, [
      'ip',
      'linked_id',
      'country',
    ]),
    windowCounts(db, appId, { column: 'ip', value: row.ip }, end, []),
    row.linked_id === null
      ? Promise.resolve(null)
      : windowCounts(db, appId, { column: 'linked_id', value: row.linked_id }, end, ['ip', 'visitor_id']),
  ])
  const w = (c: WindowCounts | null, counts: [number, number, number] | undefined) =>
    c && counts ? windows(c, counts, end) : null
  return {
    distinctIp: w(visitor, visitor.distinct.ip),
    distinctLinkedId: w(visitor, visitor.distinct.linked_id),
    distinctCountry: w(visitor, visitor.distinct.country),
    events: w(visitor, visitor.events),
    ipEvents: w(ip, ip.events),
    distinctIpByLinkedId: w(linked, linked?.distinct.ip),
    distinctVisitorIdByLinkedId: w(linked, linked?.distinct.visitor_id),
  }
}
