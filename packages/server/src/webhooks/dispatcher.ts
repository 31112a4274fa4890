import type { FastifyBaseLogger } from 'fastify'
import type { Kysely } from 'kysely'
import { GroupCommit } from '../store/group-commit.js'
import type { Database } from '../store/schema.js'
import {
  type ClaimedDelivery,
  claimDue,
  type DeliveryKey,
  drop,
  loadClaimed,
  type Outcome,
  pruneFinished,
  recordAttempt,
  release,
} from '../store/webhook-queue.js'
import { onDeliveriesQueued } from '../store/webhooks.js'
import { buildBodies, buildBody } from './payload.js'
import { DEFAULT_RETRY, nextAttemptAt, type RetryPolicy } from './retry.js'
import { postWebhook, type SendResult } from './send.js'
import { signatureHeaders } from './signing.js'
import { settlesWithin, Waker } from './waker.js'

export interface Dispatcher {
  /** Deliveries were queued elsewhere (another process): poll soon instead of at the next idle poll. */
  wake(): void
  stop(): Promise<void>
}

export interface DispatcherOptions {
  /** Deliveries claimed per poll. */
  batchSize: number
  /** Sends in flight at once in this process. */
  concurrency: number
  /** Wait between polls when there was nothing to send. */
  idlePollMs: number
  /** Wait between polls while there is work. */
  busyPollMs: number
  /** How long a claimed delivery stays reserved for this process; must comfortably exceed timeoutMs. */
  leaseMs: number
  /** A receiver must answer within this. */
  timeoutMs: number
  /** stop() lets in-flight sends finish for this long, then aborts them and releases their leases. */
  stopGraceMs: number
  retry: RetryPolicy
  /** Delivered and failed rows are forgotten after this long. */
  keepFinishedMs: number
  pruneEveryMs: number
  /** Told each attempt's outcome (for /metrics): delivered, retry, or failed for good. */
  onAttempt?: (outcome: 'delivered' | 'retry' | 'failed') => void
}

export const DEFAULT_DISPATCHER_OPTIONS: DispatcherOptions = {
  batchSize: 10,
  concurrency: 16,
  idlePollMs: 1000,
  busyPollMs: 10,
  leaseMs: 60_000,
  timeoutMs: 10_000,
  stopGraceMs: 3000,
  retry: DEFAULT_RETRY,
  keepFinishedMs: 30 * 24 * 3_600_000,
  pruneEveryMs: 3_600_000,
}

/**
 * A process that does nothing but dispatch (`sightline dispatch`, the primary of `--workers N`) claims
 * larger batches: on SQLite each claim waits for the write lock that the servers' identifications keep
 * busy. As many sends in flight as a server's dispatcher: a receiver sees the same concurrency.
 */
export const DEDICATED_DISPATCHER = { batchSize: 50 } as const

export type DispatcherOverrides = Partial<Omit<DispatcherOptions, 'retry'>> & { retry?: Partial<RetryPolicy> }

/** A claimed delivery as loaded with its batch, and its event's body when built with it. */
interface Prepared {
  delivery: ClaimedDelivery | null
  body?: string | undefined
}

/** What one attempt leaves in the queue. */
function outcomeOf(sent: SendResult, d: ClaimedDelivery, retry: RetryPolicy, now: number): Outcome {
  if (sent.kind === 'response' && sent.status >= 200 && sent.status < 300)
    return { status: 'delivered', httpStatus: sent.status, at: now }
  const httpStatus = sent.kind === 'response' ? sent.status : null
  const error =
    sent.kind === 'error'
      ? sent.error
      : httpStatus !== null && httpStatus >= 300 && httpStatus < 400
        ? 'redirects are not followed'
        : null
  const next = nextAttemptAt(retry, d.attempts + 1, d.createdAt, now)
  return next === null
    ? { status: 'failed', httpStatus, error, at: now }
    : { status: 'pending', httpStatus, error, nextAttemptAt: next }
}

/** Delivers queued webhook events (store/webhooks.ts) until stopped. */
export function startWebhookDispatcher(
  db: Kysely<Database>,
  log: FastifyBaseLogger,
  overrides: DispatcherOverrides = {},
): Dispatcher {
  const opts: DispatcherOptions = {
    ...DEFAULT_DISPATCHER_OPTIONS,
    ...overrides,
    retry: { ...DEFAULT_RETRY, ...overrides.retry },
  }
  if (opts.leaseMs < 2 * opts.timeoutMs)
    throw new Error('webhook dispatcher: leaseMs must be ≥ 2 × timeoutMs')
  const shutdown = new AbortController()
  const inflight = new Set<Promise<void>>()
  const waker = new Waker()
  const unsubscribe = onDeliveriesQueued(() => waker.wakeSoon(20))
  let stopped = false
  let nextPrune = 0
  // Attempts finishing together are recorded in one transaction (one commit, not one each).
  const records = new GroupCommit(db)

  async function attempt(key: DeliveryKey, lease: number, pre?: Prepared): Promise<void> {
    const d = pre ? pre.delivery : await loadClaimed(db, key)
    if (!d) return // deleted meanwhile (visitor deletion, webhook removed)
    if (!d.webhook) return drop(db, key)
    const body = d.body ?? pre?.body ?? (await firstBody(d, d.webhook.format, lease))
    if (body === null) return
    const signatures = signatureHeaders(body, [d.webhook.secret, d.webhook.previousSecret], Date.now())
    const sent = await postWebhook(d.webhook.url, body, signatures, {
      timeoutMs: opts.timeoutMs,
      stop: shutdown.signal,
      allowPrivate: d.webhook.allowPrivate,
    })
    if (sent.kind === 'aborted') return release(db, key, lease)
    // A failed first attempt keeps the bytes it sent, so every retry sends them again; a delivered
    // one needs nothing kept (one write per delivery instead of two).
    await finish(d, lease, sent, d.body === null ? body : undefined)
  }

  /** Builds the bytes of the first attempt; null when there is nothing to send now. */
  async function firstBody(d: ClaimedDelivery, format: 'v3' | 'v4', lease: number): Promise<string | null> {
    let body: string | null
    try {
      body = await buildBody(db, d.appId, d.eventId, format)
    } catch (err) {
      log.error({ err, webhookId: d.webhookId, eventId: d.eventId }, 'webhook: could not build the event')
      await finish(d, lease, { kind: 'error', error: 'could not build the event' })
      return null
    }
    if (body === null) {
      log.debug({ webhookId: d.webhookId, eventId: d.eventId }, 'webhook: event gone, delivery dropped')
      await drop(db, d)
      return null
    }
    return body
  }

  async function finish(d: ClaimedDelivery, lease: number, sent: SendResult, firstBody?: string) {
    const outcome = outcomeOf(sent, d, opts.retry, Date.now())
    await records.run((trx) => recordAttempt(trx, d, lease, d.attempts + 1, outcome, firstBody))
    report(d, d.attempts + 1, outcome)
  }

  function report(key: DeliveryKey, attempts: number, o: Outcome) {
    opts.onAttempt?.(o.status === 'pending' ? 'retry' : o.status)
    const ids = { webhookId: key.webhookId, eventId: key.eventId, attempts }
    if (o.status === 'delivered') return log.debug({ ...ids, status: o.httpStatus }, 'webhook delivered')
    const why = { ...ids, status: o.httpStatus, error: o.error }
    if (o.status === 'failed') return log.error(why, 'webhook delivery failed for good: giving up')
    log.warn({ ...why, nextAttemptAt: new Date(o.nextAttemptAt).toISOString() }, 'webhook delivery failed')
  }

  /**
   * Loads a claimed batch, and builds the first bodies of its events together, per app and format (one
   * read of previous visits and velocities for the lot). A delivery it could not prepare is sent as
   * before, alone.
   */
  async function prepare(keys: DeliveryKey[]): Promise<(Prepared | undefined)[]> {
    const loaded = await Promise.all(keys.map((k) => loadClaimed(db, k)))
    const groups = new Map<string, { appId: string; format: 'v3' | 'v4'; eventIds: string[] }>()
    for (const d of loaded) {
      if (!d?.webhook || d.body !== null) continue
      const g = `${d.appId}\n${d.webhook.format}`
      const group = groups.get(g) ?? { appId: d.appId, format: d.webhook.format, eventIds: [] }
      group.eventIds.push(d.eventId)
      groups.set(g, group)
    }
    const bodies = new Map<string, Map<string, string>>()
    await Promise.all(
      [...groups].map(async ([g, { appId, format, eventIds }]) => {
        try {
          bodies.set(g, await buildBodies(db, appId, [...new Set(eventIds)], format))
        } catch (err) {
          log.warn({ err, appId }, 'webhook: could not build a batch of events; building each alone')
        }
      }),
    )
    return loaded.map((d) => {
      if (!d?.webhook || d.body !== null) return { delivery: d }
      const built = bodies.get(`${d.appId}\n${d.webhook.format}`)
      // Not built: the batch failed, or the event is gone (firstBody finds out and drops it).
      return built ? { delivery: d, body: built.get(d.eventId) } : undefined
    })
  }

  function start(key: DeliveryKey, lease: number, pre?: Prepared) {
    const p = attempt(key, lease, pre)
      .catch((err: unknown) =>
        // The lease expires on its own and the delivery is tried again.
        log.error({ err, webhookId: key.webhookId, eventId: key.eventId }, 'webhook delivery error'),
      )
      .finally(() => {
        inflight.delete(p)
        waker.wake()
      })
    inflight.add(p)
  }

  /** Claims what is due (one statement) and starts sending it; answers how many it claimed. */
  async function poll(): Promise<number> {
    const free = opts.concurrency - inflight.size
    if (free <= 0) return 0
    const now = Date.now()
    const lease = now + opts.leaseMs
    const claimed = await claimDue(db, now, lease, Math.min(free, opts.batchSize))
    if (stopped) {
      await Promise.all(claimed.map((key) => release(db, key, lease)))
      return 0
    }
    const prepared = await prepare(claimed).catch((err: unknown) => {
      log.warn({ err }, 'webhook: could not load a claimed batch; loading each alone')
      return []
    })
    for (const [i, key] of claimed.entries()) start(key, lease, prepared[i])
    return claimed.length
  }

  async function prune() {
    const now = Date.now()
    if (now < nextPrune) return
    nextPrune = now + opts.pruneEveryMs
    const n = await pruneFinished(db, now - opts.keepFinishedMs)
    if (n > 0) log.info({ deliveries: n }, 'webhook: forgot old finished deliveries')
  }

  const loop = (async () => {
    let failing = false
    while (!stopped) {
      let found = 0
      try {
        found = await poll()
        await prune()
        if (failing) log.info('webhook dispatcher: queue reachable again')
        failing = false
      } catch (err) {
        if (!failing) log.warn({ err }, 'webhook dispatcher: polling the queue failed; will retry')
        failing = true
      }
      if (stopped) break
      const full = inflight.size >= opts.concurrency
      await waker.sleep(found > 0 && !full ? opts.busyPollMs : opts.idlePollMs)
    }
  })()

  let stopping: Promise<void> | null = null
  return {
    wake: () => waker.wakeSoon(20),
    stop() {
      stopping ??= (async () => {
        stopped = true
        unsubscribe()
        waker.close()
        await loop
        const all = () => Promise.allSettled([...inflight])
        if (!(await settlesWithin(all(), opts.stopGraceMs))) {
          shutdown.abort()
          await all()
        }
      })()
      return stopping
    },
  }
}
