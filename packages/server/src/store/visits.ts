import type { Kysely, Selectable } from 'kysely'
import type { Database, VisitsTable } from './schema.js'

export type VisitRow = Selectable<VisitsTable>

export async function insertVisit(db: Kysely<Database>, row: VisitRow): Promise<void> {
  await db.insertInto('visits').values(row).execute()
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

/** A visitor's visits, newest first; `before` is a requestId whose visit (and newer) are skipped. */
export async function listVisitorVisits(
  db: Kysely<Database>,
  appId: string,
  visitorId: string,
  opts: { limit: number; before?: { ts: number; requestId: string } | undefined },
): Promise<VisitRow[]> {
  let q = db.selectFrom('visits').selectAll().where('app_id', '=', appId).where('visitor_id', '=', visitorId)
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
