import { type Kysely, sql } from 'kysely'
import type { DaySummary } from '../schemas/stored.js'
import { isPostgres } from './db.js'
import { raw, toJson } from './json.js'
import type { Database } from './schema.js'

export const US_PER_DAY = 86_400_000_000
export const dayOf = (tsUs: number) => Math.floor(tsUs / US_PER_DAY)

const empty = (): DaySummary => ({
  visits: 0,
  visitors: 0,
  bots: 0,
  goodBots: 0,
  countries: {},
  browsers: {},
  os: {},
  paths: {},
})

const bump = (counts: Record<string, number>, key: string | null) => {
  const k = key ?? ''
  counts[k] = (counts[k] ?? 0) + 1
}

interface SummaryRow {
  visitor_id: string
  bot_result: string
  country: string | null
  browser: string | null
  os: string | null
  path: string | null
}

/** Sums an app's visits in [fromUs, toUs): only the few fields the overview shows are read. */
export async function summarize(
  db: Kysely<Database>,
  appId: string,
  fromUs: number,
  toUs: number,
): Promise<DaySummary> {
  const rows = isPostgres(db)
    ? await sql<SummaryRow>`
        select visitor_id, bot_result,
          ip_location::jsonb #>> '{country,isoCode}' as country,
          visitor_details::jsonb ->> 'browserName' as browser,
          visitor_details::jsonb ->> 'os' as os,
          identification::jsonb ->> 'path' as path
        from visits where app_id = ${appId} and ts >= ${fromUs} and ts < ${toUs}`.execute(db)
    : await sql<SummaryRow>`
        select visitor_id, bot_result,
          json_extract(ip_location, '$.country.isoCode') as country,
          json_extract(visitor_details, '$.browserName') as browser,
          json_extract(visitor_details, '$.os') as os,
          json_extract(identification, '$.path') as path
        from visits where app_id = ${appId} and ts >= ${fromUs} and ts < ${toUs}`.execute(db)
  const s = empty()
  const visitors = new Set<string>()
  for (const r of rows.rows) {
    s.visits++
    visitors.add(r.visitor_id)
    if (r.bot_result === 'bad') s.bots++
    else if (r.bot_result === 'good') s.goodBots++
    bump(s.countries, r.country)
    bump(s.browsers, r.browser)
    bump(s.os, r.os)
    bump(s.paths, r.path)
  }
  s.visitors = visitors.size
  return s
}

/**
 * The summaries of days [fromDay, toDay] (UTC day numbers). Days that are over are summed once and
 * kept; the current day is summed on every call, up to `nowUs`.
 */
export async function daySummaries(
  db: Kysely<Database>,
  appId: string,
  fromDay: number,
  toDay: number,
  nowUs: number,
): Promise<Map<number, DaySummary>> {
  const today = dayOf(nowUs)
  const out = new Map<number, DaySummary>()
  const kept = await db
    .selectFrom('daily_summaries')
    .select(['day', 'summary'])
    .where('app_id', '=', appId)
    .where('day', '>=', fromDay)
    .where('day', '<=', Math.min(toDay, today - 1))
    .execute()
  for (const k of kept) out.set(Number(k.day), raw(k.summary))
  for (let day = fromDay; day <= toDay && day <= today; day++) {
    if (out.has(day)) continue
    const over = day < today
    const s = await summarize(db, appId, day * US_PER_DAY, over ? (day + 1) * US_PER_DAY : nowUs + 1)
    out.set(day, s)
    if (over)
      await db
        .insertInto('daily_summaries')
        .values({ app_id: appId, day, summary: toJson(s), computed_at: Date.now() })
        .onConflict((oc) => oc.columns(['app_id', 'day']).doNothing())
        .execute()
  }
  return out
}

/** Forgets the kept summaries of days [fromDay, toDay]: their visits changed (a deletion). */
export async function forgetSummaries(db: Kysely<Database>, appId: string, fromDay: number, toDay: number) {
  await db
    .deleteFrom('daily_summaries')
    .where('app_id', '=', appId)
    .where('day', '>=', fromDay)
    .where('day', '<=', toDay)
    .execute()
}

/** Forgets every app's summaries of days before `day` (retention forgot their visits). */
export async function forgetSummariesBefore(db: Kysely<Database>, day: number) {
  await db.deleteFrom('daily_summaries').where('day', '<', day).execute()
}

/** Sums every app's finished days of the last `days` that are not kept yet (the overview's default range). */
export async function summarizeRecentDays(db: Kysely<Database>, nowUs: number, days = 31): Promise<number> {
  const today = dayOf(nowUs)
  const apps = await db.selectFrom('apps').select('id').execute()
  let summed = 0
  for (const { id } of apps) {
    const kept = new Set(
      (
        await db
          .selectFrom('daily_summaries')
          .select('day')
          .where('app_id', '=', id)
          .where('day', '>=', today - days)
          .execute()
      ).map((r) => Number(r.day)),
    )
    for (let day = today - days; day < today; day++) {
      if (kept.has(day)) continue
      await daySummaries(db, id, day, day, nowUs)
      summed++
    }
  }
  return summed
}
