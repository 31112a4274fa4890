// npm run bench:scale — do the Server API and identification stay fast as the store grows?
// For each database: a fresh store, the real server on it, then 1%, 10% and 100% of the data bulk-loaded
// straight into the database, measuring GET /v1/visitors/:id and POST /v1/identify after each stage.
// Each stage is measured side by side with a reference server on a frozen copy of the first stage, the
// same requests interleaved in the same seconds (this machine's load moves): stage ÷ reference is growth.
//
//   --db sqlite|postgres|both (both)  --visits N (1000000)  --visitors N (100000)  --json
//   --requests N (2000 per call, stage and server)  --concurrency N (8 in flight at each server)  --seed N
//   --stages all|ends (all: measure every stage; ends: the first and the last only)
import { mkdtempSync, rmSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import path from 'node:path'
import { CLI, fmt, startProcess, startSightline } from './lib.js'
import { Dataset, ipPool } from './scale-data.js'
import { type BenchDb, type DbKind, Progress, postgresStore, sqliteStore } from './scale-db.js'
import {
  calibrate,
  Http,
  IDENTIFY_KINDS,
  measureStage,
  PATHS,
  type Path,
  type StageMeasurement,
} from './scale-http.js'
import { IdentityLoader, identityWork } from './scale-identity.js'

interface Options {
  dbs: DbKind[]
  visits: number
  visitors: number
  json: boolean
  requests: number
  concurrency: number
  seed: number
  /** Stages measured (0 = the first, always). */
  measure: Set<number>
}

const USAGE =
  'usage: bench:scale [--db sqlite|postgres|both] [--visits N] [--visitors N] [--requests N] [--concurrency N] [--seed N] [--stages all|ends] [--json]'

function parseArgs(argv: string[]): Options {
  const o: Options = {
    dbs: ['sqlite', 'postgres'],
    visits: 1_000_000,
    visitors: 100_000,
    json: false,
    requests: 2000,
    concurrency: 8,
    seed: 1,
    measure: new Set([0, 1, 2]),
  }
  const num = (name: string, v: string | undefined) => {
    const n = Number(v?.replace(/_/g, ''))
    if (!Number.isInteger(n) || n < 1) throw new Error(`${name} needs a positive integer\n${USAGE}`)
    return n
  }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!
    const [flag, inline] = a.includes('=') ? (a.split('=', 2) as [string, string]) : [a, undefined]
    const value = () => inline ?? argv[++i]
    switch (flag) {
      case '--db': {
        const v = value()
        if (v === 'both') o.dbs = ['sqlite', 'postgres']
        else if (v === 'sqlite' || v === 'postgres') o.dbs = [v]
        else throw new Error(`--db must be sqlite, postgres or both\n${USAGE}`)
        break
      }
      case '--visits':
        o.visits = num(flag, value())
        break
      case '--visitors':
        o.visitors = num(flag, value())
        break
      case '--requests':
        o.requests = num(flag, value())
        break
      case '--concurrency':
        o.concurrency = num(flag, value())
        break
      case '--seed':
        o.seed = num(flag, value())
        break
      case '--stages': {
        const v = value()
        if (v === 'all') o.measure = new Set([0, 1, 2])
        else if (v === 'ends') o.measure = new Set([0, 2])
        else throw new Error(`--stages must be all or ends\n${USAGE}`)
        break
      }
      case '--json':
        o.json = true
        break
      case '--help':
      case '-h':
        console.log(USAGE)
        process.exit(0)
        break
      default:
        throw new Error(`unknown option ${a}\n${USAGE}`)
    }
  }
  if (o.visits < o.visitors) throw new Error('--visits must be at least --visitors')
  if (o.visitors < 100) throw new Error('--visitors must be at least 100 (the first stage has 1% of them)')
  return o
}

/** 10000 → 10k, 1000000 → 1M. */
const label = (n: number) =>
  n >= 1e6 && n % 1e5 === 0 ? `${n / 1e6}M` : n >= 1e3 && n % 100 === 0 ? `${n / 1e3}k` : String(n)

/** The queries behind the measured calls, run directly on the database after the last stage. */
interface Diagnostics {
  db: DbKind
  heaviestVisits: number
  /** GET /v1/visitors/:id's query (as Kysely sends it) for the heaviest visitor. */
  getPlan: string[]
  /** Median ms of that query: as it is (select *), and selecting only the columns the answer uses. */
  getSelectAllMs: number
  getNeededColumnsMs: number
  /** The same, for a visitor picked like real traffic (one with a typical history). */
  typicalVisits: number
  typicalSelectAllMs: number
  typicalNeededColumnsMs: number
  fingerprintPlan: string[]
}

const GET_SQL = (cols: string) =>
  `select ${cols} from visits where app_id = ? and visitor_id = ? order by ts desc, request_id desc limit 100`
const NEEDED = 'request_id, visitor_id, ts, fingerprint, url, ip, tag, ip_location, visitor_details, bot'

async function diagnose(db: BenchDb, ds: Dataset, loaded: number): Promise<Diagnostics> {
  let heavy = 0
  for (let v = 0; v < loaded; v++) if (ds.counts[v]! > ds.counts[heavy]!) heavy = v
  // The visitor whose count is the median of visits (half of all visits belong to lighter visitors).
  const byCount = Array.from({ length: loaded }, (_, v) => v).sort((a, b) => ds.counts[a]! - ds.counts[b]!)
  const half = byCount.reduce((n, v) => n + ds.counts[v]!, 0) / 2
  let acc = 0
  let typical = byCount[0]!
  for (const v of byCount) {
    acc += ds.counts[v]!
    typical = v
    if (acc >= half) break
  }
  const p = (v: number) => [ds.appId, ds.visitorIds[v]!]
  return {
    db: db.kind,
    heaviestVisits: ds.counts[heavy]!,
    getPlan: await db.explain(GET_SQL('*'), p(heavy)),
    getSelectAllMs: await db.time(GET_SQL('*'), p(heavy), 21),
    getNeededColumnsMs: await db.time(GET_SQL(NEEDED), p(heavy), 21),
    typicalVisits: ds.counts[typical]!,
    typicalSelectAllMs: await db.time(GET_SQL('*'), p(typical), 21),
    typicalNeededColumnsMs: await db.time(GET_SQL(NEEDED), p(typical), 21),
    fingerprintPlan: await db.explain(
      'select visitor_id from fingerprints where app_id = ? and fingerprint = ?',
      [ds.appId, ds.currentFp[heavy]!],
    ),
  }
}

interface StageResult extends StageMeasurement {
  db: DbKind
  stage: string
  visits: number
  visitors: number
  /** Rows of the identity tables after loading (before the measured requests). */
  identityRows: IdentityRows
  /** Seconds the server's own functions took to write the stage's identity rows. */
  identitySeconds: number
  loadSeconds: number
  loadRowsPerSecond: number
  /** Of loadSeconds, the time spent waiting for the database (the rest: generating rows). */
  loadDbSeconds: number
  settleSeconds: number
  dbSizeMb: number
  /** The reference server's measurement (a copy of the first stage), in the same seconds. */
  reference: StageMeasurement
  /** 90% bootstrap intervals of p99 stage ÷ reference, over the pairs of requests sent together. */
  p99Ratio90: { identify: [number, number]; get: [number, number] }
}

const log = (msg: string) => process.stderr.write(`${msg}\n`)

interface IdentityRows {
  profiles: number
  fingerprints: number
  fingerprintParts: number
  claims: number
  replayKeys: number
}

async function countIdentityRows(db: BenchDb): Promise<IdentityRows> {
  const n = async (sql: string) => Number((await db.query<{ n: number | string }>(sql))[0]?.n ?? 0)
  return {
    profiles: await n('select count(*) as n from visitors where profile is not null'),
    fingerprints: await n('select count(*) as n from fingerprints'),
    fingerprintParts: await n('select count(*) as n from fingerprint_parts'),
    claims: await n('select count(*) as n from visitor_claims'),
    replayKeys: await n('select count(*) as n from payload_nonces'),
  }
}

/** Requests by the path the server took, over all kinds. */
const pathTotals = (r: StageMeasurement) =>
  Object.fromEntries(
    PATHS.map((p) => [p, IDENTIFY_KINDS.reduce((n, k) => n + r.identify.paths[k][p], 0)]),
  ) as Record<Path, number>

const pathLine = (r: StageMeasurement) => PATHS.map((p) => `${p} ${pathTotals(r)[p]}`).join(', ')

/** Stages where a path never ran (stage or reference server): their latencies do not measure it. */
const pathFailures = (results: StageResult[]) =>
  results.flatMap((r) =>
    (
      [
        ['', r],
        [' (reference)', r.reference],
      ] as const
    ).flatMap(([who, m]) => {
      const t = pathTotals(m)
      const missing = PATHS.filter((p) => t[p] === 0)
      return missing.length
        ? [`${r.db} ${r.stage}${who}: no request took the ${missing.join(' or ')} path`]
        : []
    }),
  )

// Interrupted: stop the server and remove the data all the same.
const cleanups = new Set<() => Promise<void>>()
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    log(`\n${sig}: cleaning up…`)
    void Promise.allSettled([...cleanups].map((c) => c())).then(() => process.exit(130))
  })
}

/** `sightline serve` on an existing store (the benchmark's app is already in it), as startSightline runs it. */
async function serve(url: string) {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'sightline-bench-'))
  const proc = await startProcess(
    [CLI, 'serve', '--port', '0', '--host', '127.0.0.1', '--data-dir', dataDir],
    /serving at (http:\/\/[^/\s]+)\//,
    { ...SERVER_ENV, DATABASE_URL: url },
  )
  return {
    ...proc,
    async stop() {
      await proc.stop()
      rmSync(dataDir, { recursive: true, force: true })
    },
  }
}

const SERVER_ENV = {
  SIGHTLINE_DEMO: 'false',
  SIGHTLINE_RATE_LIMIT_IDENTIFY: '0',
  TRUST_PROXY: 'true',
  LOG_LEVEL: 'warn',
  // Retention would delete the older half of the loaded history.
  SIGHTLINE_RETENTION_DAYS: '',
  SIGHTLINE_RATE_LIMIT_IDENTIFY_PER_ADDRESS: '0',
  SIGHTLINE_RATE_LIMIT_API: '0',
}

async function runDb(
  kind: DbKind,
  o: Options,
): Promise<{ results: StageResult[]; diagnostics: Diagnostics }> {
  const store = kind === 'sqlite' ? await sqliteStore() : await postgresStore()
  let db: BenchDb | null = null
  const dropData = async () => {
    if (db) await db.destroy()
    else await store.open().destroy()
  }
  cleanups.add(dropData)
  const results: StageResult[] = []
  let diagnostics: Diagnostics | null = null
  // Servers running now (the stage's, the reference), for the cleanup.
  const running = new Set<{ stop(): Promise<void> }>()
  const stopAll = async () => {
    await Promise.allSettled([...running].map((r) => r.stop()))
    running.clear()
  }
  cleanups.add(stopAll)
  try {
    let server: { url: string; child: { pid?: number }; stop(): Promise<void> } = await startSightline({
      ...SERVER_ENV,
      DATABASE_URL: store.url,
    })
    const { publicKey, secretKey } = server as Awaited<ReturnType<typeof startSightline>>
    running.add(server)
    let http = new Http(server.url, o.concurrency)
    let identities: IdentityLoader | null = null
    try {
      db = store.open()
      log(`${kind}: server ${server.url} (pid ${server.child.pid}) on ${db.location}`)
      const [app] = await db.query<{ id: string }>('select id from apps')
      const [secret] = await db.query<{ value: string }>(
        "select value from settings where key = 'token_secret'",
      )
      if (!app || !secret) throw new Error('the benchmark app or the token secret is missing')
      const templates = await calibrate(http, db, publicKey, ipPool(48, o.seed))
      const ds = new Dataset({
        visits: o.visits,
        visitors: o.visitors,
        stages: 3,
        seed: o.seed,
        now: Date.now() * 1000,
      })
      ds.appId = app.id
      ds.templates = templates
      const keys = { publicKey, secretKey, tokenSecret: secret.value }
      identities = new IdentityLoader(kind, store.url, ds, secret.value)
      for (let s = 0; s < ds.stageVisits.length; s++) {
        const stage = ds.stage(s)
        const rows = stage.visitors.length + stage.visitCount
        const name = label(ds.stageVisits[s]!)
        const progress = new Progress(`${kind} → ${name} visits`.padEnd(22), rows)
        const loadDbSeconds = await db.load(stage, progress)
        const loadSeconds = progress.finish()
        const idProgress = new Progress(`${kind} → ${name} identity rows`.padEnd(22), identityWork(stage))
        await identities.load(stage, idProgress)
        const identitySeconds = idProgress.finish()
        if (!o.measure.has(s)) continue
        const identityRows = await countIdentityRows(db)
        const t0 = performance.now()
        await db.settle()
        const settleSeconds = (performance.now() - t0) / 1000
        if (s === 0) {
          // Freeze the first stage for the reference server: nothing may be connected (PostgreSQL's
          // TEMPLATE), so the stage server restarts, as the reference servers will start, on a settled store.
          await identities.close()
          http.close()
          await db.close()
          await server.stop()
          running.delete(server)
          await store.freeze()
          server = await serve(store.url)
          running.add(server)
          http = new Http(server.url, o.concurrency)
          db = store.open()
          identities = new IdentityLoader(kind, store.url, ds, secret.value)
          log(`${kind}: ${name} frozen for the reference; server restarted (pid ${server.child.pid})`)
        }
        const copy = await store.copy()
        const reference = await serve(copy.url)
        running.add(reference)
        const refHttp = new Http(reference.url, o.concurrency)
        const refDb = copy.open()
        log(
          `${kind} ${name}: measuring beside the reference (pid ${reference.child.pid}, ${label(ds.stageVisits[0]!)} on ${copy.location}): ${o.requests} GET + ${o.requests} identify each, ${o.concurrency} in flight at each…`,
        )
        let m: Awaited<ReturnType<typeof measureStage>>
        try {
          m = await measureStage(
            [
              { http, db, pid: server.child.pid!, loaded: stage.visitorsTo, reference: false },
              {
                http: refHttp,
                db: refDb,
                pid: reference.child.pid!,
                loaded: ds.stageVisitors[0]!,
                reference: true,
              },
            ],
            ds,
            keys,
            { ...o, warmup: 200 },
            s,
          )
        } finally {
          refHttp.close()
          await refDb.close()
          await reference.stop()
          running.delete(reference)
          await copy.drop()
        }
        const r: StageResult = {
          db: kind,
          stage: name,
          visits: ds.stageVisits[s]!,
          visitors: ds.stageVisitors[s]!,
          identityRows,
          identitySeconds: Math.round(identitySeconds * 10) / 10,
          loadSeconds: Math.round(loadSeconds * 10) / 10,
          loadRowsPerSecond: Math.round(rows / loadSeconds),
          loadDbSeconds: Math.round(loadDbSeconds * 10) / 10,
          settleSeconds: Math.round(settleSeconds * 10) / 10,
          dbSizeMb: Math.round((await db.sizeBytes()) / 1e5) / 10,
          ...m.measurements[0]!,
          reference: m.measurements[1]!,
          p99Ratio90: m.p99Ratio90!,
        }
        results.push(r)
        const ref = r.reference
        log(
          `${kind} ${name}: GET p50 ${r.get.p50} p99 ${r.get.p99} ms (reference ${ref.get.p50}, ${ref.get.p99}; p99 ratio 90% ${r.p99Ratio90.get.join('–')}) · identify p50 ${r.identify.p50} p99 ${r.identify.p99} ms (reference ${ref.identify.p50}, ${ref.identify.p99}; p99 ratio 90% ${r.p99Ratio90.identify.join('–')}) · CPU ms/request GET ${r.get.serverCpuMsPerRequest} (${ref.get.serverCpuMsPerRequest}), identify ${r.identify.serverCpuMsPerRequest} (${ref.identify.serverCpuMsPerRequest}) · RSS ${r.rssMb} MB · ${r.get.errors + r.identify.errors} errors (reference ${ref.get.errors + ref.identify.errors}) · returning matched ${r.identify.returningMatched}/${r.identify.returning} · paths ${pathLine(r)} (reference ${pathLine(ref)})`,
        )
      }
      diagnostics = await diagnose(db, ds, ds.stageVisitors.at(-1)!)
      log(`${kind}: GET query for the heaviest visitor (${diagnostics.heaviestVisits} visits):`)
      for (const line of diagnostics.getPlan) log(`    ${line}`)
      log(
        `${kind}: that query takes ${diagnostics.getSelectAllMs} ms as sent (select *), ${diagnostics.getNeededColumnsMs} ms selecting only the columns the answer uses; for a typical visitor (${diagnostics.typicalVisits} visits) ${diagnostics.typicalSelectAllMs} vs ${diagnostics.typicalNeededColumnsMs} ms`,
      )
      log(`${kind}: fingerprint lookup: ${diagnostics.fingerprintPlan.join(' / ')}`)
    } finally {
      await identities?.close()
      http.close()
      await stopAll()
      cleanups.delete(stopAll)
    }
  } finally {
    await dropData()
    cleanups.delete(dropData)
  }
  return { results, diagnostics: diagnostics! }
}

/** Stage ÷ reference, measured in the same seconds. */
interface Paired {
  db: DbKind
  stage: string
  identifyP50: number
  identifyP99: number
  identifyP99Interval: [number, number]
  getP50: number
  getP99: number
  getP99Interval: [number, number]
}

/** Issue 13's cost target: identify p99 at the last stage within this factor of the first (paired). */
const RATIO_TARGET = 1.5

const ratio = (stage: number, reference: number) => Math.round((stage / reference) * 100) / 100

const paired = (results: StageResult[]): Paired[] =>
  results.map((r) => ({
    db: r.db,
    stage: r.stage,
    identifyP50: ratio(r.identify.p50, r.reference.identify.p50),
    identifyP99: ratio(r.identify.p99, r.reference.identify.p99),
    identifyP99Interval: r.p99Ratio90.identify,
    getP50: ratio(r.get.p50, r.reference.get.p50),
    getP99: ratio(r.get.p99, r.reference.get.p99),
    getP99Interval: r.p99Ratio90.get,
  }))

/** Per database, the paired ratio at the last stage measured against the target. */
const verdicts = (results: StageResult[]) =>
  [...new Set(results.map((r) => r.db))].map((db) => {
    const last = paired(results.filter((r) => r.db === db)).at(-1)!
    return { ...last, target: RATIO_TARGET, met: last.identifyP99 <= RATIO_TARGET }
  })

/** A plan on one line: its nodes only, without costs, with repeated partition scans counted once. */
function condensePlan(lines: string[]): string {
  const nodes = lines
    .filter((l, i) => i === 0 || /^\s*->/.test(l) || /^(SEARCH|SCAN|USE|MULTI-INDEX)/.test(l.trim()))
    .map((l) =>
      l
        .replace(/^\s*->\s*/, '')
        .replace(/\s*\(cost=.*$/, '')
        .replace(/\bvisits_(p\d{4}_\d{2}|default)(?=\b|_)/g, 'visits_*')
        .replace(/ visits_\d+$/, '')
        .trim(),
    )
  const out: string[] = []
  let last = ''
  let n = 0
  for (const node of [...nodes, '']) {
    if (node === last) {
      n++
      continue
    }
    if (last) out.push(n > 1 ? `${n}× ${last}` : last)
    last = node
    n = 1
  }
  return out.join(' → ')
}

function markdown(
  o: Options,
  results: StageResult[],
  diagnostics: Diagnostics[],
  load: { start: number[]; end: number[] },
) {
  const lines: string[] = []
  const ms = (stage: number, ref: number) => `${fmt(stage, 1)} / ${fmt(ref, 1)}`
  const interval = ([lo, hi]: [number, number]) => `${fmt(lo, 2)}–${fmt(hi, 2)}`
  lines.push(
    `bench:scale — ${o.requests} requests per call, stage and server, ${o.concurrency} in flight at each server (stage and reference side by side); load average ${load.start.map((x) => fmt(x, 2)).join(' ')} at start, ${load.end.map((x) => fmt(x, 2)).join(' ')} at end`,
    '',
    'Paired: each stage server beside a reference server on a copy of the first stage, the same requests interleaved (stage / reference):',
    '',
    '| db | stage (visits) | identify p50 ms | identify p99 ms | identify p50, p99 ratio (p99 90% interval) | GET p50 ms | GET p99 ms | GET p50, p99 ratio (p99 90% interval) | server CPU ms/request identify | server CPU ms/request GET |',
    '|---|---|---|---|---|---|---|---|---|---|',
  )
  const pr = paired(results)
  results.forEach((r, k) => {
    const f = r.reference
    const p = pr[k]!
    lines.push(
      `| ${r.db} | ${r.stage} | ${ms(r.identify.p50, f.identify.p50)} | ${ms(r.identify.p99, f.identify.p99)} | ${fmt(p.identifyP50, 2)}×, **${fmt(p.identifyP99, 2)}×** (${interval(p.identifyP99Interval)}) | ${ms(r.get.p50, f.get.p50)} | ${ms(r.get.p99, f.get.p99)} | ${fmt(p.getP50, 2)}×, ${fmt(p.getP99, 2)}× (${interval(p.getP99Interval)}) | ${fmt(r.identify.serverCpuMsPerRequest, 2)} / ${fmt(f.identify.serverCpuMsPerRequest, 2)} | ${fmt(r.get.serverCpuMsPerRequest, 2)} / ${fmt(f.get.serverCpuMsPerRequest, 2)} |`,
    )
  })
  lines.push('')
  for (const v of verdicts(results)) {
    lines.push(
      `${v.db}: identify p99 at ${v.stage} ÷ reference = ${fmt(v.identifyP99, 2)}× (90% interval ${interval(v.identifyP99Interval)}; target ≤ ${v.target}×): ${v.met ? 'met' : 'NOT met'}; GET p99 ${fmt(v.getP99, 2)}× (${interval(v.getP99Interval)})`,
    )
  }
  lines.push(
    '',
    '| db | stage (visits) | visitors | load (rows/s; waiting on the DB) | RSS MB (peak), reference | DB size MB |',
    '|---|---|---|---|---|---|',
  )
  for (const r of results) {
    lines.push(
      `| ${r.db} | ${r.stage} | ${r.visitors.toLocaleString('en-US')} | ${r.loadSeconds} s (${r.loadRowsPerSecond.toLocaleString('en-US')} rows/s; DB ${r.loadDbSeconds} s${r.db === 'postgres' ? `; then VACUUM ANALYZE + CHECKPOINT ${r.settleSeconds} s` : ''}) | ${fmt(r.rssMb)} (${fmt(r.rssPeakMb)}), ${fmt(r.reference.rssMb)} | ${fmt(r.dbSizeMb)} |`,
    )
  }
  lines.push(
    '',
    `GET /v1/visitors/:id by kind of request (p50 / p99 ms, visits per answer):`,
    '',
    `| db | stage | ${results[0]?.get.classes.map((c) => c.name).join(' | ')} |`,
    `|---|---|${results[0]?.get.classes.map(() => '---').join('|')}|`,
  )
  for (const r of results) {
    lines.push(
      `| ${r.db} | ${r.stage} | ${r.get.classes.map((c) => `${fmt(c.p50, 2)} / ${fmt(c.p99, 2)} (${fmt(c.avgVisits)})`).join(' | ')} |`,
    )
  }
  lines.push(
    '',
    `POST /v1/identify: requests of each kind by the path the server took (stored identifier / exact fingerprint / similar fingerprint / new), the reference's paths, and the identity rows loaded before them by the server's own functions:`,
    '',
    `| db | stage | ${IDENTIFY_KINDS.join(' | ')} | all | reference, all | loaded: profiles, fingerprints, fingerprint_parts, claims, replay keys (seconds) |`,
    `|---|---|${IDENTIFY_KINDS.map(() => '---').join('|')}|---|---|---|`,
  )
  for (const r of results) {
    const t = pathTotals(r)
    const i = r.identityRows
    lines.push(
      `| ${r.db} | ${r.stage} | ${IDENTIFY_KINDS.map((k) => PATHS.map((p) => r.identify.paths[k][p]).join(' / ')).join(' | ')} | ${PATHS.map((p) => t[p]).join(' / ')} | ${PATHS.map((p) => pathTotals(r.reference)[p]).join(' / ')} | ${[i.profiles, i.fingerprints, i.fingerprintParts, i.claims, i.replayKeys].map((n) => n.toLocaleString('en-US')).join(', ')} (${r.identitySeconds} s) |`,
    )
  }
  for (const d of diagnostics) {
    lines.push(
      '',
      `${d.db}, GET query at the last stage, run directly: heaviest visitor (${d.heaviestVisits} visits) ${fmt(d.getSelectAllMs, 2)} ms as sent (select *) vs ${fmt(d.getNeededColumnsMs, 2)} ms with only the needed columns; typical visitor (${d.typicalVisits} visits) ${fmt(d.typicalSelectAllMs, 2)} vs ${fmt(d.typicalNeededColumnsMs, 2)} ms. Plan: ${condensePlan(d.getPlan)}`,
    )
  }
  for (const f of pathFailures(results)) lines.push(`\nFAILED: ${f}`)
  for (const r of results) {
    for (const [who, m] of [
      ['', r],
      [' (reference)', r.reference],
    ] as const) {
      if (m.get.errors + m.identify.errors > 0) {
        lines.push(
          `\nWARNING: ${r.db} ${r.stage}${who}: ${m.get.errors} GET and ${m.identify.errors} identify errors`,
        )
      }
      if (m.identify.returningMatched < m.identify.returning) {
        lines.push(
          `\nWARNING: ${r.db} ${r.stage}${who}: only ${m.identify.returningMatched}/${m.identify.returning} returning visitors were recognised`,
        )
      }
    }
  }
  return lines.join('\n')
}

async function main() {
  const o = parseArgs(process.argv.slice(2))
  const start = loadavg()
  log(
    `bench:scale — ${o.visits.toLocaleString('en-US')} visits, ${o.visitors.toLocaleString('en-US')} visitors, on ${o.dbs.join(' and ')}; load average ${start.map((x) => fmt(x, 2)).join(' ')}`,
  )
  const results: StageResult[] = []
  const diagnostics: Diagnostics[] = []
  for (const kind of o.dbs) {
    const r = await runDb(kind, o)
    results.push(...r.results)
    diagnostics.push(r.diagnostics)
  }
  const end = loadavg()
  if (o.json) {
    console.log(
      JSON.stringify(
        {
          options: {
            visits: o.visits,
            visitors: o.visitors,
            requests: o.requests,
            concurrency: o.concurrency,
            seed: o.seed,
            stagesMeasured: [...o.measure],
          },
          loadAverage: { start, end },
          results,
          paired: paired(results),
          verdicts: verdicts(results),
          pathFailures: pathFailures(results),
          diagnostics,
        },
        null,
        2,
      ),
    )
  } else {
    console.log(markdown(o, results, diagnostics, { start, end }))
  }
  // Latencies measured without every path running do not measure identification.
  if (pathFailures(results).length) process.exitCode = 1
}

main().then(
  () => process.exit(process.exitCode ?? 0),
  (err) => {
    console.error(err)
    process.exit(1)
  },
)
