import type { Insertable, Kysely, Selectable } from 'kysely'
import { marks, statement } from './prepared.js'
import type { Database, VisitsTable } from './schema.js'

export type VisitRow = Selectable<VisitsTable>

const VISIT_COLUMNS = [
  'request_id',
  'app_id',
  'visitor_id',
  'ts',
  'fingerprint',
  'url',
  'ip',
  'tag',
  'linked_id',
  'ip_location',
  'visitor_details',
  'components',
  'identification',
  'bot',
] as const
const insertStatement = (extra: string[]) => {
  const columns = [...VISIT_COLUMNS, ...extra]
  return statement(`insert into visits (${columns.join(', ')}) values (${marks(columns.length)})`)
}
/** Rows without suspect and bot_result take the columns' defaults (tests and imports write such rows). */
const INSERT_VISIT = {
  all: insertStatement(['suspect', 'bot_result']),
  suspect: insertStatement(['suspect']),
  botResult: insertStatement(['bot_result']),
  none: insertStatement([]),
}

export async function insertVisit(db: Kysely<Database>, row: Insertable<VisitsTable>): Promise<void> {
  const params: unknown[] = VISIT_COLUMNS.map((c) => row[c] ?? null)
  const { suspect, bot_result } = row
  if (suspect !== undefined) params.push(suspect)
  if (bot_result !== undefined) params.push(bot_result)
  const stmt =
    suspect !== undefined
      ? bot_result !== undefined
        ? INSERT_VISIT.all
        : INSERT_VISIT.suspect
      : bot_result !== undefined
        ? INSERT_VISIT.botResult
        : INSERT_VISIT.none
  await stmt(db, params)
}

export async function visitorSeen(db: Kysely<Database>, appId: string, visitorId: string) {
  return db
    .selectFrom('visitors')
    .select(['first_seen_at', 'last_seen_at'])
    .where('app_id', '=', appId)
    .where('visitor_id', '=', visitorId)
    .executeTakeFirst()
}

export async function findVisit(db: Kysely<Database>, appId: string, requestId: string) {
  let q = db.selectFrom('visits').selectAll().where('app_id', '=', appId).where('request_id', '=', requestId)
  // A request id starts with its millisecond: bounding ts lets PostgreSQL read one partition.
  const ms = /^(\d{13})\./.exec(requestId)?.[1]
  if (ms) q = q.where('ts', '>=', Number(ms) * 1000).where('ts', '<', (Number(ms) + 1) * 1000)
  return q.executeTakeFirst()
}

/**
 * Visits of a visitor are never older than its first_seen_at, which bounds the partitions a query
 * reads; the slack covers visits stored before first_seen_at took the earliest of joined visits.
 */
export const FIRST_SEEN_SLACK_US = 3_600_000_000

/** The visitor's first visit (µs), or null when the app has no such visitor. */
export async function visitorFirstSeen(
  db: Kysely<Database>,
  appId: string,
  visitorId: string,
): Promise<number | null> {
  const v = await db
    .selectFrom('visitors')
    .select('first_seen_at')
    .where('app_id', '=', appId)
    .where('visitor_id', '=', visitorId)
    .executeTakeFirst()
  return v ? Number(v.first_seen_at) : null
}

/** What a history listing serves: everything but the raw signals and the engine's notes (most of a row's bytes). */
export const HISTORY_COLUMNS = [
  'request_id',
  'app_id',
  'visitor_id',
  'ts',
  'fingerprint',
  'url',
  'ip',
  'tag',
  'linked_id',
  'ip_location',
  'visitor_details',
  'bot',
] as const
export type HistoryRow = Pick<VisitRow, (typeof HISTORY_COLUMNS)[number]>

/**
 * A visitor's visits, newest first; `before` is a requestId whose visit (and newer) are skipped.
 * Bounded below by the visitor's first visit, so PostgreSQL plans only the partitions that can hold
 * them; a visitor unknown in the app has no history at all.
 */
export async function listVisitorVisits(
  db: Kysely<Database>,
  appId: string,
  visitorId: string,
  opts: { limit: number; before?: { ts: number; requestId: string } | undefined },
): Promise<HistoryRow[]> {
  const first = await visitorFirstSeen(db, appId, visitorId)
  if (first === null) return []
  let q = db
    .selectFrom('visits')
    .select(HISTORY_COLUMNS)
    .where('app_id', '=', appId)
    .where('visitor_id', '=', visitorId)
    .where('ts', '>=', first - FIRST_SEEN_SLACK_US)
  const before = opts.before
  if (before) {
    q = q.where((eb) =>
      eb.or([
        eb('ts', '<', before.ts),
        eb.and([eb('ts', '=', before.ts), eb('request_id', '<', before.requestId)]),
      ]),
    )
  }
  return q.orderBy('ts', 'desc').orderBy('request_id', 'desc').limit(opts.limit).execute()
}
