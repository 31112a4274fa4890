import type { Kysely } from 'kysely'
import type { Database } from './schema.js'
import { FIRST_SEEN_SLACK_US, type VisitRow } from './visits.js'

/** What the related-visitors rule (events/related.ts) reads of a visit. */
export type RelatedRow = Pick<VisitRow, 'visitor_id' | 'ts' | 'ip' | 'components' | 'visitor_details'>
const COLUMNS = ['visitor_id', 'ts', 'ip', 'components', 'visitor_details'] as const

/** The visitor's newest visits since `since` (µs), bounded below by its first visit (µs). */
export function visitsOfVisitor(
  db: Kysely<Database>,
  appId: string,
  visitorId: string,
  firstSeen: number,
  since: number,
  limit: number,
): Promise<RelatedRow[]> {
  return db
    .selectFrom('visits')
    .select(COLUMNS)
    .where('app_id', '=', appId)
    .where('visitor_id', '=', visitorId)
    .where('ts', '>=', Math.max(firstSeen - FIRST_SEEN_SLACK_US, since))
    .orderBy('ts', 'desc')
    .limit(limit)
    .execute()
}

/** Other visitors' visits from this visit's address within `windowUs` of its time, newest first. */
export function visitsNear(
  db: Kysely<Database>,
  appId: string,
  visit: RelatedRow,
  windowUs: number,
  limit: number,
): Promise<RelatedRow[]> {
  const ts = Number(visit.ts)
  return db
    .selectFrom('visits')
    .select(COLUMNS)
    .where('app_id', '=', appId)
    .where('ip', '=', visit.ip)
    .where('ts', '>=', ts - windowUs)
    .where('ts', '<=', ts + windowUs)
    .where('visitor_id', '!=', visit.visitor_id)
    .orderBy('ts', 'desc')
    .limit(limit)
    .execute()
}
