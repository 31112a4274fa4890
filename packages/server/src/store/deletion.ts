import { type Kysely, PostgresAdapter } from 'kysely'
import { lockVisitor } from './identity.js'
import type { Database } from './schema.js'
import { dayOf, forgetSummaries } from './summaries.js'
import { FIRST_SEEN_SLACK_US, visitorFirstSeen } from './visits.js'

/** How many rows of each kind a visitor's deletion removed. */
export interface DeletedCounts {
  visits: number
  fingerprints: number
  fingerprintParts: number
  visitorClaims: number
  payloadNonces: number
  webhookDeliveries: number
  visitors: number
}

/** Table `payload_nonces` (migration 0002_replay; store/replay.ts), not in the shared schema type. */
interface NonceTables {
  payload_nonces: { app_id: string; nonce: string; request_id: string; seen_at: number }
}

const n = (r: { numDeletedRows: bigint }) => Number(r.numDeletedRows)

/**
 * Removes everything the app holds about one visitor, in one transaction: its visits, the engine's
 * indexes naming it (exact fingerprints, partial hashes, claims), the replay nonces its visits
 * recorded, its queued webhook deliveries and the visitor itself. Null when the app has no such
 * visitor. The browser's stored identifier then names an unknown visitor: the engine ignores it and
 * nothing of the old visitor can be matched again.
 */
export async function deleteVisitorData(
  db: Kysely<Database>,
  appId: string,
  visitorId: string,
): Promise<DeletedCounts | null> {
  // On PostgreSQL a lower bound on ts keeps the scans to the partitions the visitor can be in.
  const bounded = db.getExecutor().adapter instanceof PostgresAdapter
  return db.transaction().execute(async (trx) => {
    // Locked first (a write, so SQLite takes its write lock at once): an identification matching this
    // visitor waits, then finds it gone (pipeline.ts).
    if (!(await lockVisitor(trx, appId, visitorId))) return null
    const first = (await visitorFirstSeen(trx, appId, visitorId)) ?? 0
    const floor = bounded ? first - FIRST_SEEN_SLACK_US : null
    let requestIds = trx
      .selectFrom('visits')
      .select('request_id')
      .where('app_id', '=', appId)
      .where('visitor_id', '=', visitorId)
    if (floor !== null) requestIds = requestIds.where('ts', '>=', floor)
    // A nonce lives a week at most and is never older than the visit that recorded it.
    const nonces = await (trx as unknown as Kysely<Database & NonceTables>)
      .deleteFrom('payload_nonces')
      .where('app_id', '=', appId)
      .where('seen_at', '>=', first - FIRST_SEEN_SLACK_US)
      .where('request_id', 'in', requestIds)
      .executeTakeFirst()
    let visits = trx.deleteFrom('visits').where('app_id', '=', appId).where('visitor_id', '=', visitorId)
    if (floor !== null) visits = visits.where('ts', '>=', floor)
    const counts: DeletedCounts = {
      visits: n(await visits.executeTakeFirst()),
      fingerprints: 0,
      fingerprintParts: 0,
      visitorClaims: 0,
      payloadNonces: n(nonces),
      webhookDeliveries: 0,
      visitors: 0,
    }
    // The overview's kept day summaries counted these visits: they are summed again when next read.
    const seen = await trx
      .selectFrom('visitors')
      .select(['first_seen_at', 'last_seen_at'])
      .where('app_id', '=', appId)
      .where('visitor_id', '=', visitorId)
      .executeTakeFirst()
    if (seen)
      await forgetSummaries(
        trx,
        appId,
        dayOf(Number(seen.first_seen_at) - FIRST_SEEN_SLACK_US),
        dayOf(Number(seen.last_seen_at)),
      )
    for (const [table, key] of [
      ['fingerprints', 'fingerprints'],
      ['fingerprint_parts', 'fingerprintParts'],
      ['visitor_claims', 'visitorClaims'],
      ['webhook_deliveries', 'webhookDeliveries'],
      ['visitors', 'visitors'],
    ] as const) {
      const r = await trx
        .deleteFrom(table)
        .where('app_id', '=', appId)
        .where('visitor_id', '=', visitorId)
        .executeTakeFirst()
      counts[key] = n(r)
    }
    return counts
  })
}
