import { type Kysely, sql } from 'kysely'
import { isPostgres } from './db.js'
import type { Database } from './schema.js'
import { dayOf, forgetSummariesBefore, summarizeRecentDays, US_PER_DAY } from './summaries.js'

/** The first instant (µs) of the UTC month `offset` months after the one holding `ms`. */
export function monthStartMicros(ms: number, offset = 0): number {
  const d = new Date(ms)
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + offset, 1) * 1000
}

export const partitionName = (startUs: number) => {
  const d = new Date(startUs / 1000)
  return `visits_p${d.getUTCFullYear()}_${String(d.getUTCMonth() + 1).padStart(2, '0')}`
}

/**
 * PostgreSQL only: monthly partitions of `visits` from `back` months ago to `ahead` months ahead.
 * Rows outside every partition land in visits_default, so an insert never fails for want of one.
 */
export async function ensurePartitions(db: Kysely<Database>, nowMs: number, back = 12, ahead = 2) {
  const created: string[] = []
  for (let i = -back; i <= ahead; i++) {
    const from = monthStartMicros(nowMs, i)
    const to = monthStartMicros(nowMs, i + 1)
    const name = partitionName(from)
    const exists = await sql<{ n: number }>`select count(*)::int as n from pg_tables
      where schemaname = current_schema() and tablename = ${name}`.execute(db)
    if (exists.rows[0]?.n) continue
    try {
      await sql`create table if not exists ${sql.id(name)} partition of visits
        for values from (${sql.lit(from)}) to (${sql.lit(to)})`.execute(db)
      created.push(name)
    } catch (err) {
      // Another process created it a moment ago, or visits_default already holds rows of that month
      // (then they stay there, still served): neither stops the server.
      if (!/already exists|would be violated/i.test((err as Error).message)) throw err
    }
  }
  return created
}

/** Keeps partitions ahead of time and applies retention: at start and then every `everyMs`. */
/** Below this many visits SQLite plans well enough without statistics. */
const STATS_MIN_ROWS = 10_000

/**
 * Refreshes SQLite's planner statistics (a sampled ANALYZE) once visits reach STATS_MIN_ROWS and
 * whenever they have doubled since the last one. Without them SQLite may walk an app's visits by time
 * where an index names the linked id; statistics taken while the tables were empty would be worse
 * than none. Runs on the server's own connection, so its plans use them at once.
 */
export async function refreshSqliteStats(db: Kysely<Database>): Promise<boolean> {
  const count = await sql<{ n: number | null }>`select max(rowid) as n from visits`.execute(db)
  const rows = Number(count.rows[0]?.n ?? 0)
  if (rows < STATS_MIN_ROWS) return false
  const hasStats = await sql`select 1 from sqlite_master where name = 'sqlite_stat1'`.execute(db)
  if (hasStats.rows.length > 0) {
    const stat = await sql<{ stat: string }>`
      select stat from sqlite_stat1 where tbl = 'visits' and idx = 'visits_app_ts'`.execute(db)
    const analyzed = Number(stat.rows[0]?.stat.split(' ')[0] ?? 0)
    if (analyzed > 0 && rows < analyzed * 2) return false
  }
  await sql`PRAGMA analysis_limit = 1000`.execute(db)
  await sql`ANALYZE`.execute(db)
  return true
}

export function startMaintenance(
  db: Kysely<Database>,
  opts: { retentionDays: number | null; everyMs?: number; statsEveryMs?: number },
  log: { info(o: object, m: string): void; error(o: object, m: string): void },
) {
  const postgres = isPostgres(db)
  const run = async () => {
    try {
      if (postgres) {
        const created = await ensurePartitions(db, Date.now())
        if (created.length) log.info({ created }, 'created visit partitions')
      }
      if (opts.retentionDays !== null) {
        const r = await applyRetention(db, opts.retentionDays, Date.now())
        if (r.droppedPartitions.length || r.deletedVisits || r.deletedVisitors)
          log.info({ ...r }, 'retention applied')
      }
      // The dashboard's overview reads finished days from their summaries: sum them ahead of it.
      await summarizeRecentDays(db, Date.now() * 1000)
    } catch (err) {
      log.error({ err }, 'maintenance failed; will try again')
    }
  }
  const timer = setInterval(run, opts.everyMs ?? 3_600_000)
  timer.unref()
  const first = setTimeout(() => void summarizeRecentDays(db, Date.now() * 1000).catch(() => {}), 10_000)
  first.unref()
  const stats = async () => {
    try {
      if (await refreshSqliteStats(db)) log.info({}, 'refreshed SQLite planner statistics')
    } catch (err) {
      log.error({ err }, 'refreshing planner statistics failed; will try again')
    }
  }
  const statsTimer = postgres ? null : setInterval(stats, opts.statsEveryMs ?? 60_000)
  statsTimer?.unref()
  if (!postgres) void stats()
  return {
    run,
    stop: () => {
      clearInterval(timer)
      clearTimeout(first)
      if (statsTimer) clearInterval(statsTimer)
    },
  }
}

export interface RetentionResult {
  droppedPartitions: string[]
  deletedVisits: number
  deletedVisitors: number
  deletedFingerprints: number
}

/** Where a purge is: which table it is deleting from, with the running totals. */
export type RetentionProgress = RetentionResult & { step: 'visits' | 'visitors' | 'fingerprints' }

/**
 * Forgets what is older than `days`. PostgreSQL drops whole monthly partitions once every row in them
 * is past the cutoff (so a visit is kept at least `days`, at most `days` plus a month); older rows in
 * its default partition, and SQLite's, are deleted in batches. Visitors, their fingerprints and claims
 * not seen since the cutoff go too. `onProgress` hears after every batch.
 */
export async function applyRetention(
  db: Kysely<Database>,
  days: number,
  nowMs: number,
  opts: { batch?: number; onProgress?: (p: RetentionProgress) => void } = {},
): Promise<RetentionResult> {
  const batch = opts.batch ?? 5000
  const cutoff = nowMs * 1000 - days * US_PER_DAY
  const result: RetentionResult = {
    droppedPartitions: [],
    deletedVisits: 0,
    deletedVisitors: 0,
    deletedFingerprints: 0,
  }
  const report = (step: RetentionProgress['step']) => opts.onProgress?.({ ...result, step })
  const postgres = isPostgres(db)
  if (postgres) {
    const parts = await sql<{ name: string; bound: string }>`
      select c.relname as name, pg_get_expr(c.relpartbound, c.oid) as bound
      from pg_inherits i join pg_class c on c.oid = i.inhrelid join pg_class p on p.oid = i.inhparent
      join pg_namespace n on n.oid = p.relnamespace
      where p.relname = 'visits' and n.nspname = current_schema()`.execute(db)
    for (const { name, bound } of parts.rows) {
      const upper = /TO \('?(-?\d+)'?\)/.exec(bound)?.[1]
      if (upper !== undefined && Number(upper) <= cutoff) {
        await sql`drop table if exists ${sql.id(name)}`.execute(db)
        result.droppedPartitions.push(name)
        report('visits')
      }
    }
  }
  // On PostgreSQL, visits older than every monthly partition live in visits_default, never dropped.
  const deleteBatch = postgres
    ? sql`delete from visits_default where ctid in (select ctid from visits_default where ts < ${cutoff} limit ${batch})`
    : sql`delete from visits where rowid in (select rowid from visits where ts < ${cutoff} limit ${batch})`
  for (;;) {
    const n = Number((await deleteBatch.execute(db)).numAffectedRows ?? 0)
    result.deletedVisits += n
    report('visits')
    if (n < batch) break
  }
  const visitors = await db.deleteFrom('visitors').where('last_seen_at', '<', cutoff).executeTakeFirst()
  result.deletedVisitors = Number(visitors.numDeletedRows)
  report('visitors')
  const fps = await db.deleteFrom('fingerprints').where('last_seen_at', '<', cutoff).executeTakeFirst()
  result.deletedFingerprints = Number(fps.numDeletedRows)
  await db.deleteFrom('fingerprint_parts').where('last_seen_at', '<', cutoff).execute()
  await db.deleteFrom('visitor_claims').where('created_at', '<', cutoff).execute()
  report('fingerprints')
  // Summaries of the days whose visits went, the cutoff's own day included, are summed again if read.
  await forgetSummariesBefore(db, dayOf(cutoff) + 1)
  return result
}

/** What a purge at `days` would delete: visits and visitors older than the cutoff. */
export async function countRetention(
  db: Kysely<Database>,
  days: number,
  nowMs: number,
): Promise<{ visits: number; visitors: number }> {
  const cutoff = nowMs * 1000 - days * US_PER_DAY
  const count = async (table: 'visits' | 'visitors', column: 'ts' | 'last_seen_at') => {
    const row = await db
      .selectFrom(table)
      .select((eb) => eb.fn.countAll<string | number>().as('n'))
      .where(column, '<', cutoff)
      .executeTakeFirstOrThrow()
    return Number(row.n)
  }
  return { visits: await count('visits', 'ts'), visitors: await count('visitors', 'last_seen_at') }
}
