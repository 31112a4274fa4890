import { type ExpressionBuilder, type Kysely, sql } from 'kysely'
import { statement } from './prepared.js'
import type { Database } from './schema.js'

/**
 * The dispatcher's view of table `webhook_deliveries`. A delivery is owned by whoever set its
 * `locked_until` (the lease); every write after the claim is fenced on that value, so a dispatcher
 * whose lease expired meanwhile cannot overwrite the work of the one that took over.
 */

type Db = Kysely<Database>

export interface DeliveryKey {
  webhookId: string
  eventId: string
}

export interface ClaimedDelivery extends DeliveryKey {
  appId: string
  attempts: number
  createdAt: number
  body: string | null
  /** null: the webhook was removed. */
  webhook: {
    url: string
    secret: string
    previousSecret: string | null
    format: 'v3' | 'v4'
    allowPrivate: boolean
  } | null
}

const byKey = (key: DeliveryKey) => (eb: ExpressionBuilder<Database, 'webhook_deliveries'>) =>
  eb.and([eb('webhook_id', '=', key.webhookId), eb('event_id', '=', key.eventId)])

/** Pending deliveries whose time has come and that nobody holds, oldest first. */
export async function dueDeliveries(db: Db, now: number, limit: number): Promise<DeliveryKey[]> {
  const rows = await db
    .selectFrom('webhook_deliveries')
    .select(['webhook_id', 'event_id'])
    .where('status', '=', 'pending')
    .where('next_attempt_at', '<=', now)
    .where('locked_until', '<', now)
    .orderBy('next_attempt_at')
    .limit(limit)
    .execute()
  return rows.map((r) => ({ webhookId: r.webhook_id, eventId: r.event_id }))
}

/** Takes the lease on one delivery; false when another dispatcher has it (or it is no longer due). */
export async function claim(db: Db, key: DeliveryKey, now: number, lease: number): Promise<boolean> {
  const res = await db
    .updateTable('webhook_deliveries')
    .set({ locked_until: lease })
    .where(byKey(key))
    .where('status', '=', 'pending')
    .where('next_attempt_at', '<=', now)
    .where('locked_until', '<', now)
    .executeTakeFirst()
  return Number(res.numUpdatedRows) === 1
}

// The outer conditions re-check each row found by its key; written so that SQLite does not use the
// due index for them (`|| ''`, `+ 0`), which would walk every due row of a long queue per claim.
const CLAIM_DUE = statement<{ webhook_id: string; event_id: string }>(
  'update webhook_deliveries set locked_until = ? ' +
    'where (webhook_id, event_id) in (select webhook_id, event_id from webhook_deliveries ' +
    "where status = 'pending' and next_attempt_at <= ? and locked_until < ? order by next_attempt_at limit ?) " +
    "and status || '' = 'pending' and next_attempt_at + 0 <= ? and locked_until < ? " +
    'returning webhook_id, event_id',
)

/**
 * Takes the lease on up to `limit` due deliveries, oldest first, in one statement (one commit for the
 * lot instead of one per delivery): the ones this dispatcher got. A row another dispatcher claimed
 * meanwhile is re-checked by the UPDATE and left out.
 */
export async function claimDue(db: Db, now: number, lease: number, limit: number): Promise<DeliveryKey[]> {
  const { rows } = await CLAIM_DUE(db, [lease, now, now, limit, now, now])
  return rows.map((r) => ({ webhookId: r.webhook_id, eventId: r.event_id }))
}

export async function loadClaimed(db: Db, key: DeliveryKey): Promise<ClaimedDelivery | null> {
  const row = await db
    .selectFrom('webhook_deliveries as d')
    .leftJoin('webhooks as w', 'w.id', 'd.webhook_id')
    .select([
      'd.app_id',
      'd.attempts',
      'd.created_at',
      'd.body',
      'w.url',
      'w.secret',
      'w.previous_secret',
      'w.format',
      'w.allow_private',
    ])
    .where('d.webhook_id', '=', key.webhookId)
    .where('d.event_id', '=', key.eventId)
    .executeTakeFirst()
  if (!row) return null
  return {
    ...key,
    appId: row.app_id,
    attempts: Number(row.attempts),
    createdAt: Number(row.created_at),
    body: row.body,
    webhook:
      row.url === null || row.secret === null
        ? null
        : {
            url: row.url,
            secret: row.secret,
            previousSecret: row.previous_secret,
            format: row.format === 'v3' ? 'v3' : 'v4',
            allowPrivate: Number(row.allow_private) === 1,
          },
  }
}

export type Outcome =
  | { status: 'delivered'; httpStatus: number; at: number }
  | { status: 'pending'; httpStatus: number | null; error: string | null; nextAttemptAt: number }
  | { status: 'failed'; httpStatus: number | null; error: string | null; at: number }

/** Records one attempt and releases the lease. The body of a delivered event is no longer needed. */
export async function recordAttempt(
  db: Db,
  key: DeliveryKey,
  lease: number,
  attempts: number,
  outcome: Outcome,
  /** The bytes a first attempt sent: kept when it must be retried. */
  firstBody?: string,
): Promise<void> {
  const common = {
    attempts,
    locked_until: 0,
    last_status: outcome.httpStatus,
    ...(firstBody !== undefined && outcome.status !== 'delivered' ? { body: firstBody } : {}),
  }
  const set =
    outcome.status === 'delivered'
      ? { ...common, status: outcome.status, last_error: null, delivered_at: outcome.at, body: null }
      : outcome.status === 'pending'
        ? {
            ...common,
            status: outcome.status,
            last_error: outcome.error,
            next_attempt_at: outcome.nextAttemptAt,
          }
        : { ...common, status: outcome.status, last_error: outcome.error, next_attempt_at: outcome.at }
  await db
    .updateTable('webhook_deliveries')
    .set(set)
    .where(byKey(key))
    .where('locked_until', '=', lease)
    .execute()
}

/** Gives the delivery back untouched (shutdown): the next dispatcher sends it at once. */
export async function release(db: Db, key: DeliveryKey, lease: number): Promise<void> {
  await db
    .updateTable('webhook_deliveries')
    .set({ locked_until: 0 })
    .where(byKey(key))
    .where('locked_until', '=', lease)
    .execute()
}

/** The event or the webhook is gone: nothing left to deliver. */
export async function drop(db: Db, key: DeliveryKey): Promise<void> {
  await db.deleteFrom('webhook_deliveries').where(byKey(key)).execute()
}

/** Forgets delivered and failed deliveries whose last attempt is older than `before` (ms). */
export async function pruneFinished(db: Db, before: number): Promise<number> {
  const res = await db
    .deleteFrom('webhook_deliveries')
    .where('status', 'in', ['delivered', 'failed'])
    .where('next_attempt_at', '<', before)
    .executeTakeFirst()
  return Number(res.numDeletedRows)
}

/** Pending and failed deliveries: how many, and the oldest event of each (µs), for /metrics. */
export function queueStats(db: Db) {
  return db
    .selectFrom('webhook_deliveries')
    .select(['status', sql<number>`count(*)`.as('n'), sql<number | null>`min(event_ts)`.as('oldest')])
    .where('status', 'in', ['pending', 'failed'])
    .groupBy('status')
    .execute()
}
