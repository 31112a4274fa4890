import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { after, describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { isValidWebhookSignature as validV4 } from '@fingerprint/node-sdk'
import { isValidWebhookSignature as validV3 } from '@fingerprintjs/fingerprintjs-pro-server-api'
import { pino } from 'pino'
import { loadConfig } from '../src/config.js'
import { createSightline, type Sightline } from '../src/server.js'
import { createApp } from '../src/store/apps.js'
import { type Db, type Dialect, openDatabase } from '../src/store/db.js'
import { claim, dueDeliveries } from '../src/store/webhook-queue.js'
import {
  createWebhook,
  rotateWebhookSecret,
  WEBHOOK_CACHE_MS,
  type WebhookFormat,
} from '../src/store/webhooks.js'
import { type DispatcherOverrides, startWebhookDispatcher } from '../src/webhooks/dispatcher.js'
import { DEFAULT_RETRY, nextAttemptAt, retryDelay } from '../src/webhooks/retry.js'
import {
  components,
  createPgSchema,
  DIALECTS,
  dialectName,
  type PgSchema,
  post,
  sharedGeo,
} from './helpers.js'

const CLI = fileURLToPath(new URL('../src/cli.ts', import.meta.url))
const run = promisify(execFile)
const cli = (args: string[]) => run(process.execPath, ['--import', 'tsx', CLI, ...args], { env: process.env })

async function cliFails(args: string[]) {
  try {
    await cli(args)
  } catch (err) {
    return err as { code: number; stderr: string }
  }
  throw new Error(`sightline ${args.join(' ')} should have failed`)
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

async function waitFor<T>(what: string, check: () => Promise<T | undefined | false>, timeoutMs = 15_000) {
  const until = Date.now() + timeoutMs
  for (;;) {
    const v = await check()
    if (v) return v
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`)
    await sleep(25)
  }
}

/** Fast retries so a test walks through several attempts in a second or two. */
const FAST: DispatcherOverrides = {
  timeoutMs: 300,
  leaseMs: 2000,
  idlePollMs: 40,
  busyPollMs: 5,
  stopGraceMs: 500,
  retry: { baseMs: 40, maxMs: 150 },
}

// ---- A database shared by several server instances ----

interface Place {
  dialect: Dialect
  dataDir: string
  pg: PgSchema | null
  /** How the CLI reaches the same database. */
  cliArgs: string[]
  app: { id: string; publicKey: string } | null
}

const places: Place[] = []
after(async () => {
  for (const p of places) {
    rmSync(p.dataDir, { recursive: true, force: true })
    await p.pg?.drop()
  }
})

async function newPlace(dialect: Dialect): Promise<Place> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'sightline-webhooks-'))
  let place: Place
  if (dialect === 'sqlite') {
    place = { dialect, dataDir, pg: null, cliArgs: ['--data-dir', dataDir], app: null }
  } else {
    const pg = await createPgSchema()
    const url = new URL(pg.url)
    url.searchParams.set('options', `-c search_path=${pg.schema}`)
    place = { dialect, dataDir, pg, cliArgs: ['--database-url', url.href], app: null }
  }
  places.push(place)
  return place
}

const openPlace = (p: Place): Db =>
  p.pg
    ? openDatabase({ databaseUrl: p.pg.url, dataDir: p.dataDir, pgSchema: p.pg.schema })
    : openDatabase({ dataDir: p.dataDir })

interface Instance {
  sl: Sightline
  url: string
  app: { id: string; publicKey: string }
  logs: string[]
  close(): Promise<void>
}

/** A server on the place's database; 'server' keeps its own dispatcher, overrides start one with them. */
async function startInstance(
  place: Place,
  dispatch: 'server' | 'none' | DispatcherOverrides,
): Promise<Instance> {
  const config = loadConfig({ SIGHTLINE_DATA_DIR: place.dataDir })
  const sl = await createSightline(config, {
    logger: false,
    geo: await sharedGeo(),
    db: openPlace(place),
    webhooks: dispatch === 'server',
  })
  // The Demo key serves only the server's own page: the tests identify with an app of their own.
  if (sl.createdDemo) {
    const own = await createApp(sl.db.kysely, { name: 'Test' })
    place.app = { id: own.id, publicKey: own.publicKey }
  }
  const url = await sl.app.listen({ port: 0, host: '127.0.0.1' })
  const logs: string[] = []
  const log = pino({ level: 'debug' }, { write: (line: string) => void logs.push(line) })
  const dispatcher =
    typeof dispatch === 'object' ? startWebhookDispatcher(sl.db.kysely, log as any, dispatch) : null
  let closing: Promise<void> | null = null
  return {
    sl,
    url,
    app: place.app!,
    logs,
    // Idempotent: tests close before counting deliveries (no send starts or lands after it), and again in finally.
    close() {
      closing ??= (async () => {
        await dispatcher?.stop()
        await sl.close()
      })()
      return closing
    },
  }
}

async function identify(s: Instance, linkedId?: string): Promise<{ requestId: string; visitorId: string }> {
  const nonce = randomBytes(16).toString('hex')
  const res = await post(s.url, {
    apiKey: s.app.publicKey,
    url: 'https://shop.example/checkout',
    components: components({ automation: { n: nonce } }),
    ...(linkedId ? { linkedId } : {}),
  })
  assert.equal(res.status, 200, JSON.stringify(res.json))
  return res.json
}

const deliveries = (s: Instance) =>
  s.sl.db.kysely.selectFrom('webhook_deliveries').selectAll().orderBy('event_id').execute()

// ---- A receiver on 127.0.0.1 ----

type Mode = 'ok' | '500' | 'slow' | 'hang'

interface Received {
  eventId: string
  raw: Buffer
  signature: string
  contentType: string | undefined
  json: any
}

class Receiver {
  mode: Mode = 'ok'
  /** Delay before answering in 'ok' mode. */
  okDelayMs = 0
  readonly requests: Received[] = []
  /** Requests answered 2xx. */
  readonly accepted: Received[] = []
  private server: Server | null = null

  constructor(readonly port: number) {}

  /** A port nobody listens on yet (connection refused until start()). */
  static async reservePort(): Promise<number> {
    const s = createServer()
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r))
    const port = (s.address() as AddressInfo).port
    await new Promise((r) => s.close(r))
    return port
  }

  static async started(): Promise<Receiver> {
    const r = new Receiver(0)
    await r.start()
    return r
  }

  get url() {
    return `http://127.0.0.1:${this.port}/hooks/sightline?token=abc`
  }

  async start() {
    this.server = createServer((req, res) => void this.handle(req, res))
    await new Promise<void>((r) => this.server!.listen(this.port, '127.0.0.1', r))
    ;(this as { port: number }).port = (this.server.address() as AddressInfo).port
  }

  private async handle(req: IncomingMessage, res: ServerResponse) {
    const chunks: Buffer[] = []
    for await (const c of req) chunks.push(c as Buffer)
    const raw = Buffer.concat(chunks)
    const json = JSON.parse(raw.toString('utf8'))
    const r: Received = {
      eventId: json.event_id ?? json.requestId,
      raw,
      signature: String(req.headers['fpjs-event-signature'] ?? ''),
      contentType: req.headers['content-type'],
      json,
    }
    this.requests.push(r)
    const mode = this.mode
    if (mode === 'hang') return
    if (mode === 'slow') await sleep(1000)
    if (mode === 'ok' && this.okDelayMs) await sleep(this.okDelayMs)
    if (mode === 'ok') this.accepted.push(r)
    res.writeHead(mode === 'ok' ? 200 : 500, { 'content-type': 'application/json' }).end('{}')
  }

  acceptedTimes(eventId: string) {
    return this.accepted.filter((r) => r.eventId === eventId).length
  }

  async stop() {
    if (!this.server) return
    this.server.closeAllConnections()
    await new Promise((r) => this.server!.close(r))
    this.server = null
  }
}

const both = (r: Received, secret: string) =>
  validV3({ header: r.signature, data: r.raw, secret }) &&
  validV4({ header: r.signature, data: r.raw, secret })

const noSecretsIn = (logs: string[], secrets: string[]) => {
  for (const s of secrets) assert.ok(!logs.some((l) => l.includes(s)), 'a signing secret reached the logs')
}

describe('webhook retry schedule', () => {
  it('doubles from 5 s to 1 h with ±20 % jitter and gives up after 24 h', () => {
    const p = DEFAULT_RETRY
    const exact = () => 0.5
    assert.deepEqual(
      [1, 2, 3, 4, 10, 11, 12, 30].map((n) => retryDelay(p, n, exact)),
      [5000, 10_000, 20_000, 40_000, 2_560_000, 3_600_000, 3_600_000, 3_600_000],
    )
    assert.equal(
      retryDelay(p, 1, () => 0),
      4000,
    )
    assert.equal(
      retryDelay(p, 1, () => 1),
      6000,
    )
    assert.equal(
      retryDelay(p, 20, () => 1),
      4_320_000,
    )
    // Walk the whole schedule of an endpoint that never answers.
    let now = 0
    let attempts = 1
    for (;;) {
      const next = nextAttemptAt(p, attempts, 0, now, exact)
      if (next === null) break
      now = next
      attempts++
    }
    assert.equal(attempts, 33)
    assert.ok(now <= 24 * 3_600_000 && now > 23 * 3_600_000, `last attempt at ${now / 3_600_000} h`)
    assert.equal(nextAttemptAt({ ...p, maxAttempts: 3 }, 3, 0, 0, exact), null)
  })
})

for (const dialect of DIALECTS) {
  describe(`webhooks (${dialectName(dialect)})`, () => {
    it('signs each format so both SDKs verify the raw bytes, with both secrets during a rotation', async () => {
      const place = await newPlace(dialect)
      const s = await startInstance(place, 'server')
      const v4 = await Receiver.started()
      const v3 = await Receiver.started()
      try {
        const db = s.sl.db.kysely
        const h4 = (await createWebhook(db, {
          appId: s.app.id,
          url: v4.url,
          format: 'v4',
          allowPrivate: true,
        }))!
        const h3 = (await createWebhook(db, {
          appId: s.app.id,
          url: v3.url,
          format: 'v3',
          allowPrivate: true,
        }))!
        assert.match(h4.secret, /^whsec_[A-Za-z0-9]{32}$/)
        assert.notEqual(h4.secret, h3.secret)

        const first = await identify(s, 'order-1')
        await waitFor('both deliveries', async () => v4.accepted.length === 1 && v3.accepted.length === 1)
        const [a4] = v4.accepted
        const [a3] = v3.accepted
        assert.ok(a4 && a3)
        assert.equal(a4.contentType, 'application/json')
        assert.match(a4.signature, /^v1=[0-9a-f]{64}$/)
        assert.ok(both(a4, h4.secret), 'v4 body verifies with both SDKs')
        assert.ok(both(a3, h3.secret), 'v3 body verifies with both SDKs')
        assert.ok(!both(a4, h3.secret), 'another secret does not verify')
        // v4: the flat event; v3: the flat webhook body.
        assert.equal(a4.json.event_id, first.requestId)
        assert.equal(a4.json.identification.visitor_id, first.visitorId)
        assert.equal(a4.json.linked_id, 'order-1')
        assert.equal(a3.json.requestId, first.requestId)
        assert.equal(a3.json.visitorId, first.visitorId)
        assert.equal(a3.json.linkedId, 'order-1')
        assert.equal(a3.json.products, undefined)

        const new4 = (await rotateWebhookSecret(db, h4.id))!
        const new3 = (await rotateWebhookSecret(db, h3.id))!
        const second = await identify(s)
        await waitFor(
          'deliveries after rotation',
          async () => v4.accepted.length === 2 && v3.accepted.length === 2,
        )
        for (const [r, oldSecret, newSecret] of [
          [v4.accepted[1]!, h4.secret, new4],
          [v3.accepted[1]!, h3.secret, new3],
        ] as const) {
          assert.equal(r.eventId, second.requestId)
          assert.match(r.signature, /^v1=[0-9a-f]{64},v1=[0-9a-f]{64}$/)
          assert.ok(both(r, newSecret), 'the new secret verifies')
          assert.ok(both(r, oldSecret), 'the previous secret still verifies')
        }
        // A second rotation retires the first secret.
        const newest = (await rotateWebhookSecret(db, h4.id))!
        await identify(s)
        await waitFor('delivery after a second rotation', async () => v4.accepted.length === 3)
        const third = v4.accepted[2]!
        assert.ok(both(third, newest) && both(third, new4))
        assert.ok(!both(third, h4.secret), 'the secret from two rotations ago no longer verifies')
        await waitFor('the third v3 delivery', async () => v3.accepted.length === 3)
        await waitFor('every delivery recorded', async () =>
          (await deliveries(s)).every((r) => r.status === 'delivered'),
        )
        await s.close() // its dispatcher stopped: a duplicate would have been sent by now
        assert.equal(v4.requests.length, 3, 'each event once')
        assert.equal(v3.requests.length, 3, 'each event once')
      } finally {
        await s.close()
        await v4.stop()
        await v3.stop()
      }
    })

    it('retries a receiver that is down, then slow, then failing, and delivers each event once', async () => {
      const place = await newPlace(dialect)
      const port = await Receiver.reservePort()
      const receiver = new Receiver(port)
      const s = await startInstance(place, FAST)
      try {
        const hook = (await createWebhook(s.sl.db.kysely, {
          appId: s.app.id,
          url: receiver.url,
          format: 'v4',
          allowPrivate: true,
        }))!
        const events = [await identify(s), await identify(s), await identify(s)]
        const rows = () => deliveries(s)
        const all = async (ok: (r: Awaited<ReturnType<typeof rows>>[number]) => boolean) => {
          const rs = await rows()
          return rs.length === events.length && rs.every(ok)
        }
        await waitFor('refused attempts', () =>
          all((r) => r.attempts >= 2 && /ECONNREFUSED/.test(r.last_error ?? '')),
        )
        let r0 = await rows()
        assert.ok(r0.every((r) => r.status === 'pending' && r.body !== null && r.last_status === null))

        await receiver.start()
        receiver.mode = 'slow'
        await waitFor('timed-out attempts', () => all((r) => /timeout/.test(r.last_error ?? '')))
        receiver.mode = '500'
        await waitFor('HTTP 500 attempts', () => all((r) => r.last_status === 500 && r.last_error === null))
        r0 = await rows()
        receiver.mode = 'ok'
        await waitFor('every delivery', () => all((r) => r.status === 'delivered'))
        const done = await rows()
        await s.close() // its dispatcher stopped: a duplicate would have been sent by now

        for (const e of events) {
          assert.equal(receiver.acceptedTimes(e.requestId), 1, `event ${e.requestId} accepted once`)
          const seen = receiver.requests.filter((r) => r.eventId === e.requestId)
          assert.ok(seen.length >= 2, 'the receiver saw the failed attempts too')
          for (const r of seen) {
            assert.deepEqual(r.raw, seen[0]!.raw, 'every retry sends identical bytes')
            assert.ok(both(r, hook.secret))
          }
          const row = done.find((d) => d.event_id === e.requestId)!
          const before = r0.find((d) => d.event_id === e.requestId)!
          assert.ok(row.attempts > before.attempts && row.attempts >= 4, `attempts ${row.attempts}`)
          assert.equal(row.last_status, 200)
          assert.ok(row.delivered_at !== null)
        }
        assert.equal(receiver.accepted.length, events.length)
        noSecretsIn(s.logs, [hook.secret])
        assert.ok(
          s.logs.some((l) => l.includes('webhook delivery failed')),
          'failed attempts are logged',
        )

        const listed = JSON.parse(
          (await cli(['webhooks', 'deliveries', '--json', '--webhook', hook.id, ...place.cliArgs])).stdout,
        )
        assert.equal(listed.length, events.length)
        for (const d of listed) {
          const row = done.find((r) => r.event_id === d.eventId)!
          assert.equal(d.status, 'delivered')
          assert.equal(d.attempts, row.attempts)
          assert.equal(d.lastStatus, 200)
          assert.equal(d.lastError, null)
          assert.equal(d.nextAttemptAt, null)
          assert.equal(Date.parse(d.deliveredAt), Number(row.delivered_at))
        }
        const pending = JSON.parse(
          (await cli(['webhooks', 'deliveries', '--json', '--status', 'pending', ...place.cliArgs])).stdout,
        )
        assert.deepEqual(pending, [])
      } finally {
        await s.close()
        await receiver.stop()
      }
    })

    it('keeps deliveries queued across a restart: a new server on the same database sends them', async () => {
      const place = await newPlace(dialect)
      const port = await Receiver.reservePort()
      const receiver = new Receiver(port)
      const a = await startInstance(place, FAST)
      const hook = (await createWebhook(a.sl.db.kysely, {
        appId: a.app.id,
        url: receiver.url,
        format: 'v3',
        allowPrivate: true,
      }))!
      const events = [await identify(a), await identify(a), await identify(a)]
      await waitFor('a failed attempt each', async () => {
        const rs = await deliveries(a)
        return rs.length === 3 && rs.every((r) => r.attempts >= 1)
      })
      await a.close()

      await receiver.start()
      const b = await startInstance(place, FAST)
      try {
        await waitFor('delivery by the new server', async () => receiver.accepted.length === 3)
        // Once every row is recorded as delivered, no dispatcher sends it again.
        await waitFor('every delivery recorded', async () =>
          (await deliveries(b)).every((r) => r.status === 'delivered'),
        )
        const rows = await deliveries(b)
        for (const e of events) assert.equal(receiver.acceptedTimes(e.requestId), 1)
        assert.equal(receiver.requests.length, 3)
        for (const r of receiver.accepted) assert.ok(both(r, hook.secret))
        assert.ok(rows.every((r) => r.status === 'delivered' && r.attempts >= 2))
      } finally {
        await b.close()
        await receiver.stop()
      }
    })

    it('two servers on one database deliver each event exactly once', async () => {
      const place = await newPlace(dialect)
      const receiver = await Receiver.started()
      receiver.okDelayMs = 30
      // Two sends at a time each: neither can take the whole queue.
      // Timeouts and leases far beyond any stall: a send timed out on a loaded machine is retried, and a lease
      // expiring mid-send lets the other server take it; either is a second request that is not what this
      // test is about (two dispatchers claiming the same delivery).
      const opts: DispatcherOverrides = {
        ...FAST,
        timeoutMs: 30_000,
        leaseMs: 120_000,
        batchSize: 3,
        concurrency: 2,
        idlePollMs: 15,
        busyPollMs: 1,
      }
      const a = await startInstance(place, opts)
      const b = await startInstance(place, opts)
      try {
        await createWebhook(a.sl.db.kysely, {
          appId: a.app.id,
          url: receiver.url,
          format: 'v4',
          allowPrivate: true,
        })
        const events: { requestId: string }[] = []
        for (let i = 0; i < 8; i++)
          events.push(...(await Promise.all([identify(a), identify(b), identify(a)])))
        await waitFor('every delivery', async () => receiver.accepted.length >= events.length)
        await waitFor('every delivery recorded', async () =>
          (await deliveries(a)).every((r) => r.status === 'delivered'),
        )
        const rows = await deliveries(a)
        // Both dispatchers stopped: a duplicate would have been sent by now.
        await Promise.all([a.close(), b.close()])
        assert.equal(receiver.requests.length, events.length, 'no event was sent twice')
        for (const e of events) assert.equal(receiver.acceptedTimes(e.requestId), 1)
        assert.ok(rows.every((r) => r.status === 'delivered' && r.attempts === 1))
        // How the work splits between them depends on scheduling; that together they sent each event once
        // does not.
        const sent = (s: Instance) => s.logs.filter((l) => l.includes('"msg":"webhook delivered"')).length
        assert.equal(sent(a) + sent(b), events.length)
      } finally {
        await a.close()
        await b.close()
        await receiver.stop()
      }
    })

    it('lets only one of several concurrent claims take a delivery', async () => {
      const place = await newPlace(dialect)
      const s = await startInstance(place, 'none')
      const others = [openPlace(place), openPlace(place)]
      try {
        await createWebhook(s.sl.db.kysely, {
          appId: s.app.id,
          url: 'http://127.0.0.1:9/',
          format: 'v4',
          allowPrivate: true,
        })
        for (let i = 0; i < 10; i++) await identify(s)
        const now = Date.now()
        const keys = await dueDeliveries(s.sl.db.kysely, now, 100)
        assert.equal(keys.length, 10)
        const dbs = [s.sl.db, ...others]
        const wins = await Promise.all(
          keys.map((k) => Promise.all(dbs.map((d, i) => claim(d.kysely, k, now, now + 1000 + i)))),
        )
        for (const w of wins) assert.equal(w.filter(Boolean).length, 1)
        assert.deepEqual(await dueDeliveries(s.sl.db.kysely, now, 100), [], 'claimed rows are not due')
        assert.equal((await dueDeliveries(s.sl.db.kysely, now + 1100, 100)).length, 10, 'leases expire')
      } finally {
        for (const d of others) await d.close()
        await s.close()
      }
    })

    it('answers identifications while the receiver hangs; stop() releases the unfinished send', async () => {
      const place = await newPlace(dialect)
      const receiver = await Receiver.started()
      receiver.mode = 'hang'
      const s = await startInstance(place, 'server')
      let closed = false
      try {
        await createWebhook(s.sl.db.kysely, {
          appId: s.app.id,
          url: receiver.url,
          format: 'v4',
          allowPrivate: true,
        })
        const first = await identify(s)
        await waitFor('the hanging request', async () => receiver.requests.length === 1)
        // Identifications answer while the send hangs, and stop() aborts it: had either waited for the
        // send to end (its timeout), the delivery would count an attempt (checked below).
        for (let i = 0; i < 5; i++) await identify(s)
        await s.close()
        closed = true
        const db = openPlace(place)
        try {
          const row = await db.kysely
            .selectFrom('webhook_deliveries')
            .selectAll()
            .where('event_id', '=', first.requestId)
            .executeTakeFirstOrThrow()
          assert.equal(row.status, 'pending')
          assert.equal(Number(row.locked_until), 0, 'lease released at shutdown')
          assert.equal(Number(row.attempts), 0, 'an aborted send is not an attempt')
        } finally {
          await db.close()
        }
      } finally {
        if (!closed) await s.close()
        await receiver.stop()
      }
    })

    it('drops deliveries whose event or webhook is gone', async () => {
      const place = await newPlace(dialect)
      const receiver = await Receiver.started()
      const s = await startInstance(place, 'none')
      try {
        const db = s.sl.db.kysely
        const removed = await Receiver.started()
        await createWebhook(db, { appId: s.app.id, url: receiver.url, format: 'v4', allowPrivate: true })
        const other = (await createWebhook(db, {
          appId: s.app.id,
          url: removed.url,
          format: 'v4',
          allowPrivate: true,
        }))!
        const gone = await identify(s)
        const kept = await identify(s)
        assert.equal((await deliveries(s)).length, 4)
        await db.deleteFrom('visits').where('request_id', '=', gone.requestId).execute()
        // As when another process removes the webhook after this one queued events for it.
        await db.deleteFrom('webhooks').where('id', '=', other.id).execute()
        const dispatcher = startWebhookDispatcher(db, s.sl.app.log, FAST)
        try {
          await waitFor('the kept event', async () => receiver.accepted.length === 1)
          await waitFor('the dropped deliveries', async () => (await deliveries(s)).length === 1)
        } finally {
          await dispatcher.stop()
          await removed.stop()
        }
        assert.equal(receiver.accepted[0]!.eventId, kept.requestId)
        assert.equal(receiver.requests.length, 1)
        assert.equal(removed.requests.length, 0)
      } finally {
        await s.close()
        await receiver.stop()
      }
    })

    it(`queues events for a webhook added by another process within ${WEBHOOK_CACHE_MS} ms`, async () => {
      const place = await newPlace(dialect)
      const s = await startInstance(place, 'none')
      try {
        const db = s.sl.db.kysely
        const cachedAt = Date.now()
        await identify(s) // this process now knows the app has no webhooks
        // Added behind this process's back, as the CLI does.
        await db
          .insertInto('webhooks')
          .values({
            id: 'wh_fromcli',
            app_id: s.app.id,
            url: 'http://127.0.0.1:9/',
            secret: 'whsec_x',
            previous_secret: null,
            format: 'v4',
            created_at: Date.now(),
            allow_private: 1,
          })
          .execute()
        await identify(s)
        // The cached list is used while it is fresh (a stalled machine may already be past it).
        if (Date.now() - cachedAt < WEBHOOK_CACHE_MS)
          assert.equal((await deliveries(s)).length, 0, 'the cached list is used')
        await sleep(WEBHOOK_CACHE_MS + 100)
        const e = await identify(s)
        const rows = (await deliveries(s)).filter((r) => r.event_id === e.requestId)
        assert.deepEqual(
          rows.map((r) => [r.webhook_id, r.event_id, r.status, Number(r.attempts)]),
          [['wh_fromcli', e.requestId, 'pending', 0]],
        )
      } finally {
        await s.close()
      }
    })

    it('CLI: add, list, rotate-secret, remove, deliveries', async () => {
      const place = await newPlace(dialect)
      const db = place.cliArgs
      const app = JSON.parse((await cli(['apps', 'create', '--name', 'Shop', '--json', ...db])).stdout)
      const added = JSON.parse(
        (
          await cli([
            'webhooks',
            'add',
            '--app',
            app.id,
            '--url',
            'https://api.shop.example/hooks',
            '--json',
            ...db,
          ])
        ).stdout,
      )
      assert.match(added.id, /^wh_/)
      assert.match(added.secret, /^whsec_[A-Za-z0-9]{32}$/)
      assert.equal(added.format, 'v4')
      assert.equal(added.url, 'https://api.shop.example/hooks')
      const text = (
        await cli([
          'webhooks',
          'add',
          '--app',
          app.id,
          '--url',
          'http://10.0.0.5:8080/h',
          '--format',
          'v3',
          '--allow-private',
          ...db,
        ])
      ).stdout
      const secret = /signing secret: (whsec_\S+)/.exec(text)?.[1]
      assert.ok(secret, text)
      assert.equal(added.allowPrivate, false)

      const list = JSON.parse((await cli(['webhooks', 'list', '--json', '--app', app.id, ...db])).stdout)
      assert.deepEqual(
        list.map((h: { format: WebhookFormat }) => h.format),
        ['v4', 'v3'],
      )
      assert.ok(list.every((h: Record<string, unknown>) => !('secret' in h) && h.rotated === false))
      assert.ok(!JSON.stringify(list).includes('whsec_'), 'secrets are never listed')
      assert.deepEqual(
        JSON.parse((await cli(['webhooks', 'list', '--json', '--app', 'app_none', ...db])).stdout),
        [],
      )

      const rotated = JSON.parse((await cli(['webhooks', 'rotate-secret', added.id, '--json', ...db])).stdout)
      assert.equal(rotated.id, added.id)
      assert.match(rotated.secret, /^whsec_/)
      assert.notEqual(rotated.secret, added.secret)
      const afterRotation = JSON.parse((await cli(['webhooks', 'list', '--json', ...db])).stdout)
      assert.equal(afterRotation.find((h: { id: string }) => h.id === added.id).rotated, true)

      const v3id = afterRotation.find((h: { format: string }) => h.format === 'v3').id
      assert.equal(afterRotation.find((h: { id: string }) => h.id === v3id).allowPrivate, true)
      await cli(['webhooks', 'allow-private', v3id, '--off', ...db])
      const denied = JSON.parse((await cli(['webhooks', 'list', '--json', ...db])).stdout)
      assert.equal(denied.find((h: { id: string }) => h.id === v3id).allowPrivate, false)
      await cli(['webhooks', 'allow-private', v3id, ...db])

      const removed = JSON.parse((await cli(['webhooks', 'remove', added.id, '--json', ...db])).stdout)
      assert.deepEqual(removed, { id: added.id, removed: true })
      const left = JSON.parse((await cli(['webhooks', 'list', '--json', ...db])).stdout)
      assert.equal(left.length, 1)
      assert.equal(left[0].format, 'v3')
      assert.deepEqual(JSON.parse((await cli(['webhooks', 'deliveries', '--json', ...db])).stdout), [])

      const bad: [string[], RegExp][] = [
        [['webhooks', 'remove', added.id], /no webhook with id/],
        [['webhooks', 'rotate-secret', 'wh_nope'], /no webhook with id/],
        [['webhooks', 'add', '--app', 'app_nope', '--url', 'https://a.example/'], /no app with id app_nope/],
        [['webhooks', 'add', '--app', app.id, '--url', 'ftp://a.example/'], /http:\/\/ or https:\/\//],
        [['webhooks', 'add', '--app', app.id, '--url', 'not a url'], /is not a URL/],
        [['webhooks', 'add', '--app', app.id, '--url', 'https://u:p@a.example/'], /credentials/],
        [['webhooks', 'add', '--app', app.id, '--url', 'https://a.example/', '--format', 'v5'], /--format/],
        [['webhooks', 'add', '--url', 'https://a.example/'], /--app/],
        [['webhooks', 'add', '--app', app.id], /--url/],
        [['webhooks', 'deliveries', '--status', 'sent'], /--status must be one of/],
        [['webhooks', 'deliveries', '--limit', '0'], /--limit/],
        [['webhooks', 'deliveries', '--limit', 'ten'], /--limit/],
        [['webhooks', 'frobnicate'], /unknown command/],
        [
          ['webhooks', 'add', '--app', app.id, '--url', 'http://127.0.0.1:9/'],
          /127\.0\.0\.1, not a public address.*--allow-private/,
        ],
        [
          ['webhooks', 'add', '--app', app.id, '--url', 'http://localhost:9/'],
          /localhost is or resolves to 127\.0\.0\.1/,
        ],
        [['webhooks', 'add', '--app', app.id, '--url', 'http://[fd00::1]/'], /fd00::1, not a public/],
        [['webhooks', 'add', '--app', app.id, '--url', 'http://169.254.169.254/'], /not a public address/],
        [['webhooks', 'allow-private', 'wh_nope'], /no webhook with id/],
      ]
      // A few at a time: each is a Node process.
      for (let i = 0; i < bad.length; i += 4) {
        const chunk = bad.slice(i, i + 4)
        const failures = await Promise.all(chunk.map(([args]) => cliFails([...args, ...db])))
        for (const [j, f] of failures.entries()) {
          assert.equal(f.code, 2, `${chunk[j]![0].join(' ')}: ${f.stderr}`)
          assert.match(f.stderr, chunk[j]![1])
        }
      }
    })
  })
}
