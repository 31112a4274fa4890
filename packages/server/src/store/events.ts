import { type Kysely, sql } from 'kysely'
import { isPostgres } from './db.js'
import type { Database } from './schema.js'

/** Rows read per velocity window at most: a window holding more is reported as not computable. */
export const VELOCITY_ROW_CAP = 5000

export const MINUTE_US = 60_000_000
export const WINDOWS_US = { m5: 5 * MINUTE_US, h1: 60 * MINUTE_US, h24: 24 * 60 * MINUTE_US } as const

/** first_seen_at (µs) of each visitor. */
export async function visitorsFirstSeen(
  db: Kysely<Database>,
  appId: string,
  visitorIds: string[],
): Promise<Map<string, number>> {
  const out = new Map<string, number>()
  if (visitorIds.length === 0) return out
  const rows = await db
    .selectFrom('visitors')
    .select(['visitor_id', 'first_seen_at'])
    .where('app_id', '=', appId)
    .where('visitor_id', 'in', visitorIds)
    .execute()
  for (const r of rows) out.set(r.visitor_id, Number(r.first_seen_at))
  return out
}

/**
 * For each visit (by request id), the time (µs) of its visitor's visit just before it, or null.
 * One query for the batch; `since` bounds every scan from below (the earliest first_seen_at).
 */
export async function previousVisits(
  db: Kysely<Database>,
  appId: string,
  visits: { requestId: string; ts: number }[],
  since: number,
): Promise<Map<string, number | null>> {
  const out = new Map<string, number | null>()
  if (visits.length === 0) return out
  const tss = visits.map((v) => Number(v.ts))
  // Constant bounds on both sides let PostgreSQL prune partitions for the correlated lookup too.
  const maxTs = Math.max(...tss)
  let outer = db
    .selectFrom('visits as v')
    .select((eb) => [
      'v.request_id',
      eb
        .selectFrom('visits as p')
        .select('p.ts')
        .where('p.app_id', '=', appId)
        .whereRef('p.visitor_id', '=', 'v.visitor_id')
        .whereRef('p.ts', '<', 'v.ts')
        .where('p.ts', '>=', since)
        .where('p.ts', '<', maxTs)
        .orderBy('p.ts', 'desc')
        .limit(1)
        .as('prev'),
    ])
    .where('v.app_id', '=', appId)
    .where(
      'v.request_id',
      'in',
      visits.map((v) => v.requestId),
    )
  // PostgreSQL needs the bounds to prune partitions; SQLite finds each visit by its primary key, and
  // given a range its planner may walk the app's visits in it instead.
  if (isPostgres(db)) outer = outer.where('v.ts', '>=', Math.min(...tss)).where('v.ts', '<=', maxTs)
  const rows = await outer.execute()
  for (const r of rows) out.set(r.request_id, r.prev === null || r.prev === undefined ? null : Number(r.prev))
  return out
}

export interface WindowCounts {
  /** Rows read (at most VELOCITY_ROW_CAP) and the oldest one's time: tells which windows are complete. */
  rows: number
  oldest: number | null
  events: [number, number, number]
  distinct: Record<string, [number, number, number]>
}

export type Scope = { column: 'visitor_id' | 'ip' | 'linked_id'; value: string }
export type DistinctColumn = 'ip' | 'linked_id' | 'country' | 'visitor_id'

function distinctExpressions(db: Kysely<Database>) {
  const country = isPostgres(db)
    ? sql`(ip_location::json -> 'country' ->> 'isoCode')`
    : sql`json_extract(ip_location, '$.country.isoCode')`
  return { ip: sql`ip`, linked_id: sql`linked_id`, visitor_id: sql`visitor_id`, country } as Record<
    DistinctColumn,
    ReturnType<typeof sql<string | null>>
  >
}

/** One visit of a scope, newest first: its time and the values counted distinct. */
export interface ScopeRow {
  ts: number
  values: (string | null)[]
}

/**
 * The visits sharing `scope` in (from, to], newest first, at most `limit` of them, through the index
 * that starts with (app_id, scope column, ts): what several events' windows are counted from at once.
 */
export async function scopeRows(
  db: Kysely<Database>,
  appId: string,
  scope: Scope,
  from: number,
  to: number,
  distinct: DistinctColumn[],
  limit: number,
): Promise<ScopeRow[]> {
  const exprs = distinctExpressions(db)
  const rows = (await db
    .selectFrom('visits')
    .select(['ts', ...distinct.map((d, i) => exprs[d].as(`c${i}`))] as never)
    .where('app_id', '=', appId)
    .where(scope.column, '=', scope.value)
    .where('ts', '>', from)
    .where('ts', '<=', to)
    .orderBy('ts', 'desc')
    .limit(limit)
    .execute()) as Record<string, unknown>[]
  return rows.map((r) => ({
    ts: Number(r.ts),
    values: distinct.map((_, i) => (r[`c${i}`] ?? null) as string | null),
  }))
}

/**
 * Counts over (ts - 5 min, ts], (ts - 1 h, ts] and (ts - 24 h, ts] for the visits sharing `scope`,
 * reading at most VELOCITY_ROW_CAP of the newest rows of the 24-hour window through the index that
 * starts with (app_id, scope column, ts).
 */
export async function windowCounts(
  db: Kysely<Database>,
  appId: string,
  scope: Scope,
  ts: number,
  distinct: DistinctColumn[],
): Promise<WindowCounts> {
  const end = Number(ts)
  const starts = [end - WINDOWS_US.m5, end - WINDOWS_US.h1, end - WINDOWS_US.h24] as const
  const cols = distinctExpressions(db)
  const inner = db
    .selectFrom('visits')
    .select(['ts', ...distinct.map((d) => (cols[d] as ReturnType<typeof sql<string | null>>).as(`c_${d}`))])
    .where('app_id', '=', appId)
    .where(scope.column, '=', scope.value)
    .where('ts', '>', starts[2])
    .where('ts', '<=', end)
    .orderBy('ts', 'desc')
    .limit(VELOCITY_ROW_CAP)
  const aggregates = [
    sql<number>`count(*)`.as('rows'),
    sql<number | null>`min(w.ts)`.as('oldest'),
    ...starts.map((s, i) => sql<number>`sum(case when w.ts > ${s} then 1 else 0 end)`.as(`e${i}`)),
    ...distinct.flatMap((d) =>
      starts.map((s, i) =>
        sql<number>`count(distinct case when w.ts > ${s} then ${sql.ref(`w.c_${d}`)} end)`.as(`d_${d}_${i}`),
      ),
    ),
  ]
  const row = (await db
    .selectFrom(inner.as('w'))
    .select(aggregates as never)
    .executeTakeFirst()) as Record<string, number | string | null> | undefined
  const n = (k: string) => Number(row?.[k] ?? 0)
  const triple = (p: string): [number, number, number] => [n(`${p}0`), n(`${p}1`), n(`${p}2`)]
  return {
    rows: n('rows'),
    oldest: row?.oldest === null || row?.oldest === undefined ? null : Number(row.oldest),
    events: triple('e'),
    distinct: Object.fromEntries(distinct.map((d) => [d, triple(`d_${d}_`)])),
  }
}
