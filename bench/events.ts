// npm run bench:events — the v3 Server API's event reads at scale, and what webhooks cost ingest, in one run.
//  1. For each database: bulk-load N visits (1M) of M visitors (100k) as bench:scale does, then measure
//     GET /events/:requestId and GET /events/search (several filters) p50/p99 at a steady concurrency.
//  2. On a fresh server (first database of --db): identification throughput with no webhook, with one
//     webhook to a local receiver, and with none again; then how long the queue takes to drain. With
//     --dispatch separate the server runs with --no-dispatch and a `sightline dispatch` process sends.
//
//   --db sqlite|postgres|both (both)  --visits N (1000000)  --visitors N (100000)
//   --requests N (1000 per call)  --concurrency N (8)  --skip-scale  --skip-webhooks
//   --dispatch in-process|separate|both (both)
import { execFile } from 'node:child_process'
import { createServer } from 'node:http'
import { loadavg } from 'node:os'
import { promisify } from 'node:util'
import { load, payload, prime, type Result } from './ingest-load.js'
import { CLI, createPgSchema, fmt, type Running, startProcess, startSightline } from './lib.js'
import { Dataset, ipPool } from './scale-data.js'
import { type DbKind, Progress, postgresStore, sqliteStore } from './scale-db.js'
import { calibrate, Http, type Reply } from './scale-http.js'

const run = promisify(execFile)
const log = (msg: string) => process.stderr.write(`${msg}\n`)

interface Options {
  dbs: DbKind[]
  visits: number
  visitors: number
  requests: number
  concurrency: number
  scale: boolean
  webhooks: boolean
  dispatch: Dispatch[]
}

type Dispatch = 'in-process' | 'separate'

function parseArgs(argv: string[]): Options {
  const o: Options = {
    dbs: ['sqlite', 'postgres'],
    visits: 1_000_000,
    visitors: 100_000,
    requests: 1000,
    concurrency: 8,
    scale: true,
    webhooks: true,
    dispatch: ['in-process', 'separate'],
  }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!
    const num = () => {
      const n = Number(argv[++i]?.replace(/_/g, ''))
      if (!Number.isInteger(n) || n < 1) throw new Error(`${a} needs a positive integer`)
      return n
    }
    if (a === '--db') {
      const v = argv[++i]
      o.dbs = v === 'both' ? ['sqlite', 'postgres'] : v === 'sqlite' || v === 'postgres' ? [v] : []
      if (o.dbs.length === 0) throw new Error('--db must be sqlite, postgres or both')
    } else if (a === '--visits') o.visits = num()
    else if (a === '--visitors') o.visitors = num()
    else if (a === '--requests') o.requests = num()
    else if (a === '--concurrency') o.concurrency = num()
    else if (a === '--skip-scale') o.scale = false
    else if (a === '--skip-webhooks') o.webhooks = false
    else if (a === '--dispatch') {
      const v = argv[++i]
      o.dispatch =
        v === 'both' ? ['in-process', 'separate'] : v === 'in-process' || v === 'separate' ? [v] : []
      if (o.dispatch.length === 0) throw new Error('--dispatch must be in-process, separate or both')
    } else throw new Error(`unknown option ${a}`)
  }
  return o
}

interface Latency {
  n: number
  p50: number
  p99: number
  errors: number
}

/** `n` requests, `concurrency` in flight (closed loop); `ok` says whether an answer is right. */
async function steady(
  n: number,
  concurrency: number,
  send: (i: number) => Promise<Reply>,
  ok: (i: number, r: Reply) => boolean,
): Promise<Latency> {
  const ms: number[] = []
  let errors = 0
  let next = 0
  const worker = async () => {
    while (next < n) {
      const i = next++
      try {
        const r = await send(i)
        ms.push(r.ms)
        if (!ok(i, r)) errors++
      } catch {
        errors++
      }
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker))
  ms.sort((a, b) => a - b)
  const q = (p: number) =>
    Math.round((ms[Math.min(ms.length - 1, Math.ceil(p * ms.length) - 1)] ?? 0) * 100) / 100
  return { n: ms.length, p50: q(0.5), p99: q(0.99), errors }
}

interface ScaleRow {
  db: DbKind
  call: string
  latency: Latency
  /** Events per answer, on average (search). */
  perAnswer: number
}

async function scalePhase(kind: DbKind, o: Options): Promise<ScaleRow[]> {
  const store = kind === 'sqlite' ? await sqliteStore() : await postgresStore()
  const server = await startSightline({
    DATABASE_URL: store.url,
    TRUST_PROXY: 'true',
    LOG_LEVEL: 'warn',
    SIGHTLINE_RETENTION_DAYS: '',
  })
  const db = store.open()
  const http = new Http(server.url, o.concurrency)
  const rows: ScaleRow[] = []
  try {
    const [app] = await db.query<{ id: string }>('select id from apps')
    if (!app) throw new Error('the benchmark app is missing')
    const templates = await calibrate(http, db, server.publicKey, ipPool(48, 1))
    const ds = new Dataset({
      visits: o.visits,
      visitors: o.visitors,
      stages: 1,
      seed: 1,
      now: Date.now() * 1000,
    })
    ds.appId = app.id
    ds.templates = templates
    const stage = ds.stage(0)
    const progress = new Progress(
      `${kind} → ${o.visits.toLocaleString('en-US')} visits`.padEnd(24),
      stage.visitors.length + stage.visitCount,
    )
    await db.load(stage, progress)
    progress.finish()
    await db.settle()

    const sample = await db.query<{ request_id: string; visitor_id: string; ip: string }>(
      `select request_id, visitor_id, ip from visits order by random() limit ${o.requests}`,
    )
    const linked = await db.query<{ linked_id: string }>(
      `select linked_id from visits where linked_id is not null order by random() limit ${Math.min(o.requests, 500)}`,
    )
    const auth = { 'auth-api-key': server.secretKey }
    const pick = <T>(xs: T[], i: number) => xs[i % xs.length]!
    const calls: [string, (i: number) => string][] = [
      ['GET /events/:requestId', (i) => `/events/${pick(sample, i).request_id}`],
      ['search: newest 10', () => '/events/search?limit=10'],
      ['search: visitor_id', (i) => `/events/search?limit=10&visitor_id=${pick(sample, i).visitor_id}`],
      ['search: linked_id', (i) => `/events/search?limit=10&linked_id=${pick(linked, i).linked_id}`],
      ['search: ip_address /32', (i) => `/events/search?limit=10&ip_address=${pick(sample, i).ip}/32`],
      [
        'search: ip_address /24',
        (i) => `/events/search?limit=10&ip_address=${pick(sample, i).ip.replace(/\.\d+$/, '.0')}/24`,
      ],
      ['search: bot=bad', () => '/events/search?limit=10&bot=bad'],
    ]
    for (const [name, path] of calls) {
      let events = 0
      // Warm-up: JIT and caches, not measured.
      await steady(
        Math.min(100, o.requests),
        o.concurrency,
        (i) => http.send('GET', path(i), auth),
        () => true,
      )
      const latency = await steady(
        o.requests,
        o.concurrency,
        (i) => http.send('GET', path(i), auth),
        (i, r) => {
          if (r.status !== 200) return false
          const body = JSON.parse(r.body) as {
            products?: { identification?: { data?: { requestId?: string } } }
            events?: unknown[]
          }
          if (name.startsWith('GET'))
            return body.products?.identification?.data?.requestId === pick(sample, i).request_id
          events += body.events?.length ?? 0
          return Array.isArray(body.events)
        },
      )
      rows.push({ db: kind, call: name, latency, perAnswer: name.startsWith('GET') ? 1 : events / latency.n })
      log(`${kind} ${name}: p50 ${latency.p50} ms, p99 ${latency.p99} ms, ${latency.errors} errors`)
    }
  } finally {
    http.close()
    await server.stop()
    await db.destroy()
  }
  return rows
}

interface WebhookResult {
  dispatch: Dispatch
  off1: Result
  on: Result
  off2: Result
  delivered: number
  drainSeconds: number
}

async function cli(args: string[], dataDir: string, env: NodeJS.ProcessEnv) {
  const { stdout } = await run(process.execPath, [CLI, ...args, '--data-dir', dataDir, '--json'], {
    env: { ...process.env, ...env },
  })
  return JSON.parse(stdout) as any
}

async function webhookPhase(kind: DbKind, dispatch: Dispatch): Promise<WebhookResult> {
  const schema = kind === 'postgres' ? await createPgSchema() : null
  const env: NodeJS.ProcessEnv = {
    TRUST_PROXY: 'true',
    ...(schema ? { DATABASE_URL: schema.url } : {}),
  }
  const received = new Set<string>()
  const receiver = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { event_id?: string }
      if (body.event_id) received.add(body.event_id)
      res.writeHead(200).end()
    })
  })
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r))
  const port = (receiver.address() as { port: number }).port
  const sl = await startSightline(env, dispatch === 'separate' ? ['--no-dispatch'] : [])
  let dispatcher: Running | null = null
  try {
    if (dispatch === 'separate')
      dispatcher = await startProcess(
        [CLI, 'dispatch', '--data-dir', sl.dataDir],
        /is (dispatching) webhook deliveries/,
        { LOG_LEVEL: 'warn', ...env },
      )
    const first = Array.from({ length: 2000 }, (_, i) => payload(sl.publicKey, i))
    const stored = await prime(sl.url, first)
    const bodies = first.map((_, i) => payload(sl.publicKey, i, i % 10 < 9 ? (stored[i] ?? null) : null))
    const [app] = (await cli(['apps', 'list'], sl.dataDir, env)) as { id: string }[]
    if (!app) throw new Error('no benchmark app')
    // The server caches each app's webhook list for a few seconds: wait that out after each change.
    const settle = () => new Promise((r) => setTimeout(r, 6000))
    log('webhooks: ingest without a webhook…')
    const off1 = await load(sl.url, bodies)
    const hook = (await cli(
      ['webhooks', 'add', '--app', app.id, '--url', `http://127.0.0.1:${port}/hook`, '--allow-private'],
      sl.dataDir,
      env,
    )) as { id: string }
    await settle()
    log('webhooks: ingest with one webhook…')
    const before = received.size
    const on = await load(sl.url, bodies)
    const t0 = performance.now()
    // Drained: nothing pending for this webhook any more.
    for (;;) {
      const pending = (await cli(
        ['webhooks', 'deliveries', '--webhook', hook.id, '--status', 'pending', '--limit', '1'],
        sl.dataDir,
        env,
      )) as unknown[]
      if (pending.length === 0) break
      if (performance.now() - t0 > 600_000) throw new Error('webhook queue did not drain in 10 minutes')
      await new Promise((r) => setTimeout(r, 500))
    }
    const drainSeconds = (performance.now() - t0) / 1000
    await cli(['webhooks', 'remove', hook.id], sl.dataDir, env)
    await settle()
    log('webhooks: ingest without a webhook again…')
    const off2 = await load(sl.url, bodies)
    return { dispatch, off1, on, off2, delivered: received.size - before, drainSeconds }
  } finally {
    await dispatcher?.stop()
    await sl.stop()
    receiver.close()
    await schema?.drop()
  }
}

async function main() {
  const o = parseArgs(process.argv.slice(2))
  const start = loadavg()
  const scale: ScaleRow[] = []
  if (o.scale) for (const kind of o.dbs) scale.push(...(await scalePhase(kind, o)))
  const hooks: WebhookResult[] = []
  if (o.webhooks) for (const d of o.dispatch) hooks.push(await webhookPhase(o.dbs[0]!, d))
  const end = loadavg()
  const out: string[] = [
    `bench:events — load average ${start.map((x) => fmt(x, 2)).join(' ')} at start, ${end.map((x) => fmt(x, 2)).join(' ')} at end`,
  ]
  if (scale.length > 0) {
    out.push(
      '',
      `v3 event reads at ${o.visits.toLocaleString('en-US')} stored visits (${o.visitors.toLocaleString('en-US')} visitors), ${o.requests} requests per call, ${o.concurrency} in flight:`,
      '',
      '| db | call | p50 ms | p99 ms | events per answer | errors |',
      '|---|---|---|---|---|---|',
    )
    for (const r of scale) {
      out.push(
        `| ${r.db} | ${r.call} | ${fmt(r.latency.p50, 2)} | ${fmt(r.latency.p99, 2)} | ${fmt(r.perAnswer, 1)} | ${r.latency.errors} |`,
      )
    }
  }
  for (const h of hooks) {
    const offMean = (h.off1.rps + h.off2.rps) / 2
    out.push(
      '',
      `Ingest on ${o.dbs[0]} with webhooks disabled vs enabled (closed loop, 32 connections), ${h.dispatch === 'separate' ? 'served with --no-dispatch beside a `sightline dispatch` process' : 'dispatched by the server process'}:`,
      '',
      '| run | req/s | p50 ms | p99 ms | non-2xx |',
      '|---|---|---|---|---|',
      ...(
        [
          ['no webhook', h.off1],
          ['one webhook (local receiver)', h.on],
          ['no webhook again', h.off2],
        ] as const
      ).map(([n, r]) => `| ${n} | ${fmt(r.rps, 0)} | ${r.p50} | ${r.p99} | ${r.non2xx} |`),
      '',
      `with a webhook: ${fmt((h.on.rps / offMean) * 100)}% of the throughput without (a cost of ${fmt((1 - h.on.rps / offMean) * 100)}%); ${h.delivered} deliveries received, queue drained ${fmt(h.drainSeconds)} s after the load stopped`,
    )
  }
  console.log(out.join('\n'))
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err)
    process.exit(1)
  },
)
