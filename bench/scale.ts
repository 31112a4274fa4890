// npm run bench:scale — do the Server API and identification stay fast as the store grows?
// For each database: a fresh store, the real server on it, then 1%, 10% and 100% of the data bulk-loaded
// straight into the database, measuring GET /v1/visitors/:id and POST /v1/identify after each stage.
//
//   --db sqlite|postgres|both (both)  --visits N (1000000)  --visitors N (100000)  --json
//   --requests N (2000 per call and stage)  --concurrency N (8 in flight)  --seed N
import { loadavg } from 'node:os'
import { fmt, startSightline } from './lib.js'
import { Dataset, ipPool } from './scale-data.js'
import { type BenchDb, type DbKind, Progress, postgresStore, sqliteStore } from './scale-db.js'
import {
  calibrate,
  Http,
  IDENTIFY_KINDS,
  type Latency,
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
}

const USAGE =
  'usage: bench:scale [--db sqlite|postgres|both] [--visits N] [--visitors N] [--requests N] [--concurrency N] [--seed N] [--json]'

function parseArgs(argv: string[]): Options {
  const o: Options = {
    dbs: ['sqlite', 'postgres'],
    visits: 1_000_000,
    visitors: 100_000,
    json: false,
    requests: 2000,
    concurrency: 8,
    seed: 1,
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
const pathTotals = (r: StageResult) =>
  Object.fromEntries(
    PATHS.map((p) => [p, IDENTIFY_KINDS.reduce((n, k) => n + r.identify.paths[k][p], 0)]),
  ) as Record<Path, number>

const pathLine = (r: StageResult) => PATHS.map((p) => `${p} ${pathTotals(r)[p]}`).join(', ')

/** Stages where a fingerprint path (exact or similar) never ran: their latencies do not measure it. */
const pathFailures = (results: StageResult[]) =>
  results.flatMap((r) => {
    const t = pathTotals(r)
    const missing = (['fingerprint', 'fuzzy'] as const).filter((p) => t[p] === 0)
    return missing.length ? [`${r.db} ${r.stage}: no request took the ${missing.join(' or ')} path`] : []
  })

// Interrupted: stop the server and remove the data all the same.
const cleanups = new Set<() => Promise<void>>()
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    log(`\n${sig}: cleaning up…`)
    void Promise.allSettled([...cleanups].map((c) => c())).then(() => process.exit(130))
  })
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
  try {
    const server = await startSightline({
      DATABASE_URL: store.url,
      TRUST_PROXY: 'true',
      LOG_LEVEL: 'warn',
      // Retention would delete the older half of the loaded history.
      SIGHTLINE_RETENTION_DAYS: '',
    })
    const stopServer = () => server.stop()
    cleanups.add(stopServer)
    const pid = server.child.pid!
    const http = new Http(server.url, o.concurrency)
    let closeLoader = async () => {}
    try {
      db = store.open()
      log(`${kind}: server ${server.url} (pid ${pid}) on ${db.location}`)
      const [app] = await db.query<{ id: string }>('select id from apps')
      const [secret] = await db.query<{ value: string }>(
        "select value from settings where key = 'token_secret'",
      )
      if (!app || !secret) throw new Error('the benchmark app or the token secret is missing')
      const templates = await calibrate(http, db, server.publicKey, ipPool(48, o.seed))
      const ds = new Dataset({
        visits: o.visits,
        visitors: o.visitors,
        stages: 3,
        seed: o.seed,
        now: Date.now() * 1000,
      })
      ds.appId = app.id
      ds.templates = templates
      const keys = { publicKey: server.publicKey, secretKey: server.secretKey, tokenSecret: secret.value }
      const identities = new IdentityLoader(kind, store.url, ds, secret.value)
      closeLoader = () => identities.close()
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
        const identityRows = await countIdentityRows(db)
        const t0 = performance.now()
        await db.settle()
        const settleSeconds = (performance.now() - t0) / 1000
        log(
          `${kind} ${name}: measuring (${o.requests} GET + ${o.requests} identify, ${o.concurrency} in flight)…`,
        )
        const m = await measureStage(http, db, pid, ds, stage.visitorsTo, keys, { ...o, warmup: 200 }, s)
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
          ...m,
        }
        results.push(r)
        log(
          `${kind} ${name}: GET p50 ${r.get.p50} p99 ${r.get.p99} ms · identify p50 ${r.identify.p50} p99 ${r.identify.p99} ms · RSS ${r.rssMb} MB · ${r.get.errors + r.identify.errors} errors · returning matched ${r.identify.returningMatched}/${r.identify.returning} · paths ${pathLine(r)}`,
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
      await closeLoader()
      http.close()
      await server.stop()
      cleanups.delete(stopServer)
    }
  } finally {
    await dropData()
    cleanups.delete(dropData)
  }
  return { results, diagnostics: diagnostics! }
}

interface Ratios {
  db: DbKind
  from: string
  to: string
  getP99: number
  identifyP99: number
  rssFrom: number
  rssTo: number
  rssFlat: boolean
  pass: boolean
}

const RATIO_TARGET = 1.5
/** RSS counts as flat when the last stage is within 25% of the first. */
const RSS_FLAT = 1.25

function ratios(results: StageResult[]): Ratios[] {
  const out: Ratios[] = []
  for (const db of new Set(results.map((r) => r.db))) {
    const rs = results.filter((r) => r.db === db)
    const a = rs[0]!
    const b = rs.at(-1)!
    const ratio = (x: Latency, y: Latency) => Math.round((y.p99 / x.p99) * 100) / 100
    const getP99 = ratio(a.get, b.get)
    const identifyP99 = ratio(a.identify, b.identify)
    const rssFlat = b.rssMb <= a.rssMb * RSS_FLAT
    out.push({
      db,
      from: a.stage,
      to: b.stage,
      getP99,
      identifyP99,
      rssFrom: a.rssMb,
      rssTo: b.rssMb,
      rssFlat,
      pass: getP99 <= RATIO_TARGET && identifyP99 <= RATIO_TARGET && rssFlat,
    })
  }
  return out
}

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
  rs: Ratios[],
  diagnostics: Diagnostics[],
  load: { start: number[]; end: number[] },
) {
  const lines: string[] = []
  lines.push(
    `bench:scale — ${o.requests} requests per call and stage, ${o.concurrency} in flight; load average ${load.start.map((x) => fmt(x, 2)).join(' ')} at start, ${load.end.map((x) => fmt(x, 2)).join(' ')} at end`,
    '',
    '| db | stage (visits) | visitors | load (rows/s; waiting on the DB) | GET p50 ms | GET p99 ms | identify p50 ms | identify p99 ms | RSS MB (peak) | server CPU ms/request GET, identify | DB size MB |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
  )
  for (const r of results) {
    lines.push(
      `| ${r.db} | ${r.stage} | ${r.visitors.toLocaleString('en-US')} | ${r.loadSeconds} s (${r.loadRowsPerSecond.toLocaleString('en-US')} rows/s; DB ${r.loadDbSeconds} s${r.db === 'postgres' ? `; then VACUUM ANALYZE + CHECKPOINT ${r.settleSeconds} s` : ''}) | ${fmt(r.get.p50, 2)} | ${fmt(r.get.p99, 2)} | ${fmt(r.identify.p50, 2)} | ${fmt(r.identify.p99, 2)} | ${fmt(r.rssMb)} (${fmt(r.rssPeakMb)}) | ${fmt(r.get.serverCpuMsPerRequest, 2)}, ${fmt(r.identify.serverCpuMsPerRequest, 2)} | ${fmt(r.dbSizeMb)} |`,
    )
  }
  lines.push(
    '',
    `| db | GET p99 ${rs[0]?.to}/${rs[0]?.from} | identify p99 ${rs[0]?.to}/${rs[0]?.from} | RSS ${rs[0]?.from} → ${rs[0]?.to} | within targets (p99 ratio ≤ ${RATIO_TARGET}, RSS flat) |`,
    '|---|---|---|---|---|',
  )
  for (const r of rs) {
    lines.push(
      `| ${r.db} | ${fmt(r.getP99, 2)} | ${fmt(r.identifyP99, 2)} | ${fmt(r.rssFrom)} → ${fmt(r.rssTo)} MB (${r.rssFlat ? 'flat' : 'grew'}) | ${r.pass ? 'yes' : 'NO'} |`,
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
    `POST /v1/identify: requests of each kind by the path the server took (stored identifier / exact fingerprint / similar fingerprint / new), and the identity rows loaded before them by the server's own functions:`,
    '',
    `| db | stage | ${IDENTIFY_KINDS.join(' | ')} | all | loaded: profiles, fingerprints, fingerprint_parts, claims, replay keys (seconds) |`,
    `|---|---|${IDENTIFY_KINDS.map(() => '---').join('|')}|---|---|`,
  )
  for (const r of results) {
    const t = pathTotals(r)
    const i = r.identityRows
    lines.push(
      `| ${r.db} | ${r.stage} | ${IDENTIFY_KINDS.map((k) => PATHS.map((p) => r.identify.paths[k][p]).join(' / ')).join(' | ')} | ${PATHS.map((p) => t[p]).join(' / ')} | ${[i.profiles, i.fingerprints, i.fingerprintParts, i.claims, i.replayKeys].map((n) => n.toLocaleString('en-US')).join(', ')} (${r.identitySeconds} s) |`,
    )
  }
  for (const d of diagnostics) {
    lines.push(
      '',
      `${d.db}, GET query at the last stage, run directly: heaviest visitor (${d.heaviestVisits} visits) ${fmt(d.getSelectAllMs, 2)} ms as sent (select *) vs ${fmt(d.getNeededColumnsMs, 2)} ms with only the needed columns; typical visitor (${d.typicalVisits} visits) ${fmt(d.typicalSelectAllMs, 2)} vs ${fmt(d.typicalNeededColumnsMs, 2)} ms. Plan: ${condensePlan(d.getPlan)}`,
    )
  }
  for (const f of pathFailures(results)) lines.push(`\nFAILED: ${f}`)
  const errors = results.filter((r) => r.get.errors + r.identify.errors > 0)
  for (const r of errors) {
    lines.push(`\nWARNING: ${r.db} ${r.stage}: ${r.get.errors} GET and ${r.identify.errors} identify errors`)
  }
  for (const r of results) {
    if (r.identify.returningMatched < r.identify.returning) {
      lines.push(
        `\nWARNING: ${r.db} ${r.stage}: only ${r.identify.returningMatched}/${r.identify.returning} returning visitors were recognised`,
      )
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
  const rs = ratios(results)
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
          },
          loadAverage: { start, end },
          results,
          ratios: rs,
          pathFailures: pathFailures(results),
          diagnostics,
          targets: { p99Ratio: RATIO_TARGET, rssFlatFactor: RSS_FLAT },
        },
        null,
        2,
      ),
    )
  } else {
    console.log(markdown(o, results, rs, diagnostics, { start, end }))
  }
  // Latencies measured without the fingerprint paths running do not measure identification.
  if (pathFailures(results).length) process.exitCode = 1
}

main().then(
  () => process.exit(process.exitCode ?? 0),
  (err) => {
    console.error(err)
    process.exit(1)
  },
)
