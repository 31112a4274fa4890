import type { Kysely, Transaction } from 'kysely'
import { randomAlnum } from '../util/random.js'
import type { Database, WebhookDeliveriesTable, WebhooksTable } from './schema.js'

export const WEBHOOK_FORMATS = ['v4', 'v3'] as const
export type WebhookFormat = (typeof WEBHOOK_FORMATS)[number]
export const DELIVERY_STATUSES = ['pending', 'delivered', 'failed'] as const
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number]

/**
 * How long a process keeps an app's webhook list for enqueueing: a webhook added by another process
 * (the CLI) receives the events identified from this many milliseconds after it was added.
 */
export const WEBHOOK_CACHE_MS = 5000

export interface Webhook {
  id: string
  appId: string
  url: string
  format: WebhookFormat
  /** true while the previous secret still signs deliveries (after rotate-secret). */
  rotated: boolean
  /** Added with --allow-private: may reach loopback, private and other non-public addresses. */
  allowPrivate: boolean
  createdAt: string
}

export interface CreatedWebhook extends Webhook {
  /** Shown once: signs every delivery. */
  secret: string
}

export interface Delivery {
  webhookId: string
  eventId: string
  appId: string
  visitorId: string
  status: DeliveryStatus
  attempts: number
  lastStatus: number | null
  lastError: string | null
  /** null unless pending. */
  nextAttemptAt: string | null
  deliveredAt: string | null
  createdAt: string
}

type Db = Kysely<Database>
const iso = (ms: number | null) => (ms === null ? null : new Date(Number(ms)).toISOString())

function toWebhook(row: WebhooksTable): Webhook {
  return {
    id: row.id,
    appId: row.app_id,
    url: row.url,
    format: row.format === 'v3' ? 'v3' : 'v4',
    rotated: row.previous_secret !== null,
    allowPrivate: Number(row.allow_private) === 1,
    createdAt: new Date(Number(row.created_at)).toISOString(),
  }
}

function toDelivery(row: WebhookDeliveriesTable): Delivery {
  return {
    webhookId: row.webhook_id,
    eventId: row.event_id,
    appId: row.app_id,
    visitorId: row.visitor_id,
    status: row.status,
    attempts: Number(row.attempts),
    lastStatus: row.last_status === null ? null : Number(row.last_status),
    lastError: row.last_error,
    nextAttemptAt: row.status === 'pending' ? iso(row.next_attempt_at) : null,
    deliveredAt: iso(row.delivered_at),
    createdAt: new Date(Number(row.created_at)).toISOString(),
  }
}

// ---- Per-process cache of each app's webhook ids, read on every identification ----

const hooksByApp = new Map<string, { ids: string[]; until: number }>()
const enqueueListeners = new Set<() => void>()

/** Drops the cached webhook list of one app (or all): changes made in this process apply at once. */
export function forgetCachedWebhooks(appId?: string): void {
  if (appId === undefined) hooksByApp.clear()
  else hooksByApp.delete(appId)
}

/** Called after this process queued deliveries (before they commit): the dispatcher polls sooner. */
export function onDeliveriesQueued(listener: () => void): () => void {
  enqueueListeners.add(listener)
  return () => enqueueListeners.delete(listener)
}

async function webhookIds(trx: Transaction<Database>, appId: string): Promise<string[]> {
  const now = Date.now()
  const hit = hooksByApp.get(appId)
  if (hit && hit.until > now) return hit.ids
  const rows = await trx.selectFrom('webhooks').select('id').where('app_id', '=', appId).execute()
  if (hooksByApp.size > 10_000) hooksByApp.clear()
  const ids = rows.map((r) => r.id)
  hooksByApp.set(appId, { ids, until: now + WEBHOOK_CACHE_MS })
  return ids
}

/** Queues this identification for every webhook of its app, inside the identification's transaction. */
export async function enqueueDeliveries(
  trx: Transaction<Database>,
  visit: { appId: string; requestId: string; visitorId: string; ts: number },
): Promise<void> {
  const ids = await webhookIds(trx, visit.appId)
  if (ids.length === 0) return
  const now = Date.now()
  await trx
    .insertInto('webhook_deliveries')
    .values(
      ids.map((id) => ({
        webhook_id: id,
        event_id: visit.requestId,
        app_id: visit.appId,
        visitor_id: visit.visitorId,
        event_ts: visit.ts,
        status: 'pending' as const,
        attempts: 0,
        next_attempt_at: now,
        locked_until: 0,
        created_at: now,
      })),
    )
    .onConflict((oc) => oc.columns(['webhook_id', 'event_id']).doNothing())
    .execute()
  for (const listener of enqueueListeners) listener()
}

// ---- Webhook management (CLI) ----

/** A new signing secret: `whsec_` and 32 random alphanumerics (~190 bits). */
export const newWebhookSecret = (): string => `whsec_${randomAlnum(32)}`

/** null: no such app. */
export async function createWebhook(
  db: Db,
  input: { appId: string; url: string; format: WebhookFormat; allowPrivate?: boolean },
): Promise<CreatedWebhook | null> {
  const app = await db.selectFrom('apps').select('id').where('id', '=', input.appId).executeTakeFirst()
  if (!app) return null
  const row: WebhooksTable = {
    id: `wh_${randomAlnum(16)}`,
    app_id: input.appId,
    url: input.url,
    secret: newWebhookSecret(),
    previous_secret: null,
    format: input.format,
    created_at: Date.now(),
    allow_private: input.allowPrivate ? 1 : 0,
  }
  await db.insertInto('webhooks').values(row).execute()
  forgetCachedWebhooks(input.appId)
  return { ...toWebhook(row), secret: row.secret }
}

export async function listWebhooks(db: Db, filter: { appId?: string | undefined } = {}): Promise<Webhook[]> {
  let q = db.selectFrom('webhooks').selectAll().orderBy('created_at').orderBy('id')
  if (filter.appId !== undefined) q = q.where('app_id', '=', filter.appId)
  return (await q.execute()).map(toWebhook)
}

/** Removes the webhook and its queued and past deliveries. false: no such webhook. */
export async function removeWebhook(db: Db, id: string): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    await trx.deleteFrom('webhook_deliveries').where('webhook_id', '=', id).execute()
    const row = await trx.deleteFrom('webhooks').where('id', '=', id).returning('app_id').executeTakeFirst()
    if (row) forgetCachedWebhooks(row.app_id)
    return row !== undefined
  })
}

/** Lets a webhook reach non-public addresses, or stops it. false: no such webhook. */
export async function setWebhookAllowPrivate(db: Db, id: string, allow: boolean): Promise<boolean> {
  const res = await db
    .updateTable('webhooks')
    .set({ allow_private: allow ? 1 : 0 })
    .where('id', '=', id)
    .executeTakeFirst()
  return Number(res.numUpdatedRows) === 1
}

/**
 * Issues a new signing secret; the current one becomes the previous secret, which keeps signing
 * (a second `v1=` entry) until the next rotation. null: no such webhook.
 */
export async function rotateWebhookSecret(db: Db, id: string): Promise<string | null> {
  const hook = await db.selectFrom('webhooks').select('secret').where('id', '=', id).executeTakeFirst()
  if (!hook) return null
  const secret = newWebhookSecret()
  const res = await db
    .updateTable('webhooks')
    .set({ secret, previous_secret: hook.secret })
    // Two rotations racing: only the one that saw the current secret wins.
    .where('id', '=', id)
    .where('secret', '=', hook.secret)
    .executeTakeFirst()
  return Number(res.numUpdatedRows) === 1 ? secret : null
}

export const MAX_DELIVERIES_LISTED = 1000

/** Newest first. */
export async function listDeliveries(
  db: Db,
  filter: {
    appId?: string | undefined
    webhookId?: string | undefined
    status?: DeliveryStatus | undefined
    limit?: number | undefined
  } = {},
): Promise<Delivery[]> {
  let q = db
    .selectFrom('webhook_deliveries')
    .selectAll()
    .orderBy('created_at', 'desc')
    .orderBy('event_id', 'desc')
    .orderBy('webhook_id')
    .limit(Math.min(filter.limit ?? 50, MAX_DELIVERIES_LISTED))
  if (filter.appId !== undefined) q = q.where('app_id', '=', filter.appId)
  if (filter.webhookId !== undefined) q = q.where('webhook_id', '=', filter.webhookId)
  if (filter.status !== undefined) q = q.where('status', '=', filter.status)
  return (await q.execute()).map(toDelivery)
}
