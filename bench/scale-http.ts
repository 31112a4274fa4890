// The HTTP side of bench:scale: calibration (what the pipeline writes for each device family and
// client IP), the two measured calls at a steady concurrency, and the server's RSS.
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { Agent, request } from 'node:http'
import { issueToken } from '../packages/server/dist/identify/token.js'
import {
  components,
  type Dataset,
  device,
  FAMILIES,
  fingerprintOf,
  mix,
  Rng,
  type Templates,
} from './scale-data.js'
import type { BenchDb } from './scale-db.js'

export interface Reply {
  status: number
  body: string
  ms: number
}

export class Http {
  private readonly agent: Agent
  constructor(
    private readonly base: string,
    concurrency: number,
  ) {
    this.agent = new Agent({ keepAlive: true, maxSockets: concurrency })
  }

  send(method: 'GET' | 'POST', path: string, headers: Record<string, string>, body?: string): Promise<Reply> {
    return new Promise((resolve, reject) => {
      const t0 = performance.now()
      const req = request(new URL(path, this.base), { method, agent: this.agent, headers }, (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            body: Buffer.concat(chunks).toString('utf8'),
            ms: performance.now() - t0,
          }),
        )
        res.on('error', reject)
      })
      req.on('error', reject)
      req.end(body)
    })
  }

  close() {
    this.agent.destroy()
  }
}

/** Server RSS in MB from /proc/<pid>/status. */
export function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return m ? Number(m[1]) / 1024 : Number.NaN
}

const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100
  } catch {
    return 100
  }
})()

/** CPU time (user + system) the process has used, in ms, from /proc/<pid>/stat. */
export function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  // Fields after the command name (which may hold spaces), counted from field 3 (state).
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return ((Number(f[11]) + Number(f[12])) * 1000) / CLK_TCK
}

const identifyHeaders = (userAgent: string, ip: string) => ({
  'content-type': 'text/plain;charset=UTF-8',
  'user-agent': userAgent,
  'x-forwarded-for': ip,
  origin: 'https://shop.example',
})

/** The agent's request body. */
export const identifyBody = (
  apiKey: string,
  comps: ReturnType<typeof components>,
  url: string,
  storedId: string | null,
  extra: { tag?: unknown; linkedId?: string } = {},
) => JSON.stringify({ v: 1, apiKey, storedId, url, ...extra, components: comps })

/**
 * Sends one identification per family and per pool IP, then reads back what the pipeline stored:
 * visitor_details and bot per family, ip_location and ASN per IP. Checks that the fingerprint the bench
 * computes is the server's. Then deletes the calibration visitors: the store is empty again.
 */
export async function calibrate(
  http: Http,
  db: BenchDb,
  publicKey: string,
  ips: string[],
): Promise<Templates> {
  const n = Math.max(FAMILIES.length, ips.length)
  const sent: { requestId: string; family: number; ip: number; fp: string }[] = []
  for (let k = 0; k < n; k++) {
    // Calibration devices are numbered far beyond any visitor; pick one of family k % families.
    let dn = 1_000_000_000 + k * 1000
    while (device(dn).family !== k % FAMILIES.length) dn++
    const d = device(dn)
    const comps = components(d, new Rng(k), Date.now() * 1000)
    const f = FAMILIES[d.family]!
    const reply = await http.send(
      'POST',
      '/v1/identify',
      identifyHeaders(f.userAgent, ips[k % ips.length]!),
      identifyBody(publicKey, comps, 'https://shop.example/', null),
    )
    if (reply.status !== 200) throw new Error(`calibration identify: ${reply.status} ${reply.body}`)
    const { requestId } = JSON.parse(reply.body) as { requestId: string }
    sent.push({ requestId, family: d.family, ip: k % ips.length, fp: fingerprintOf(comps) })
  }
  const rows = await db.query<{
    request_id: string
    fingerprint: string
    visitor_details: string
    bot: string
    ip_location: string | null
  }>('select request_id, fingerprint, visitor_details, bot, ip_location from visits')
  const byId = new Map(rows.map((r) => [r.request_id, r]))
  const t: Templates = {
    details: [],
    bot: [],
    ips,
    ipLocation: new Array(ips.length).fill(null),
    asn: new Array(ips.length).fill(null),
  }
  for (const s of sent) {
    const row = byId.get(s.requestId)
    if (!row) throw new Error(`calibration: visit ${s.requestId} not found in the database`)
    if (row.fingerprint !== s.fp) {
      throw new Error(
        `calibration: the server computed fingerprint ${row.fingerprint}, the bench ${s.fp}: the algorithm changed?`,
      )
    }
    const details = JSON.parse(row.visitor_details) as Record<string, unknown>
    t.details[s.family] ??= details
    t.bot[s.family] ??= row.bot
    t.ipLocation[s.ip] = row.ip_location
    t.asn[s.ip] = details.asn ?? null
  }
  for (let f = 0; f < FAMILIES.length; f++) {
    if (!t.details[f]) throw new Error(`calibration: no template for ${FAMILIES[f]!.name}`)
  }
  await db.exec('DELETE FROM visits')
  await db.exec('DELETE FROM fingerprints')
  await db.exec('DELETE FROM fingerprint_parts')
  await db.exec('DELETE FROM visitor_claims')
  await db.exec('DELETE FROM payload_nonces')
  await db.exec('DELETE FROM visitors')
  return t
}

export interface Latency {
  n: number
  p50: number
  p99: number
  max: number
  errors: number
}

function summarize(ms: number[], errors: number): Latency {
  const s = [...ms].sort((a, b) => a - b)
  const q = (p: number) => s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))] ?? Number.NaN
  const r = (x: number) => Math.round(x * 100) / 100
  return { n: s.length, p50: r(q(0.5)), p99: r(q(0.99)), max: r(s.at(-1) ?? Number.NaN), errors }
}

/**
 * Runs `n` requests per target in `concurrency` lanes (closed loop): a lane sends its request `i` to every
 * target at once and takes the next `i` when all have answered. Every target has at most `concurrency` in
 * flight, and the targets' requests run in the same instants, under the same load. `check` says whether
 * a reply is right.
 */
async function lanes(
  targets: number,
  n: number,
  concurrency: number,
  make: (t: number, i: number) => () => Promise<Reply>,
  check: (t: number, i: number, r: Reply) => boolean,
  onSample?: () => void,
): Promise<(Latency & { byIndex: Float64Array })[]> {
  const ms = Array.from({ length: targets }, () => [] as number[])
  const byIndex = Array.from({ length: targets }, () => new Float64Array(n).fill(Number.NaN))
  const errors = new Array<number>(targets).fill(0)
  let next = 0
  const sampler = onSample ? setInterval(onSample, 200) : null
  const one = async (t: number, i: number) => {
    try {
      const r = await make(t, i)()
      ms[t]!.push(r.ms)
      byIndex[t]![i] = r.ms
      if (!check(t, i, r)) errors[t]!++
    } catch {
      errors[t]!++
    }
  }
  const order = Array.from({ length: targets }, (_, t) => t)
  const lane = async () => {
    while (next < n) {
      const i = next++
      // Which target is sent to first alternates.
      const ts = i % 2 === 0 ? order : [...order].reverse()
      await Promise.all(ts.map((t) => one(t, i)))
    }
  }
  await Promise.all(Array.from({ length: concurrency }, lane))
  if (sampler) clearInterval(sampler)
  return ms.map((m, t) => ({ ...summarize(m, errors[t]!), byIndex: byIndex[t]! }))
}

/** Visits in a GET answer, without parsing it: one `"visitorId":` per visit. */
function countVisits(body: string): number {
  let n = 0
  for (let i = body.indexOf('"visitorId":'); i !== -1; i = body.indexOf('"visitorId":', i + 12)) n++
  return n
}

export interface MeasureOptions {
  requests: number
  concurrency: number
  warmup: number
  seed: number
}

export interface GetClass extends Latency {
  name: string
  /** Visits per answer, on average. */
  avgVisits: number
}

export interface StageMeasurement {
  get: Latency & { avgVisits: number; mix: string; classes: GetClass[]; serverCpuMsPerRequest: number }
  identify: Latency & {
    returningMatched: number
    returning: number
    newFound: number
    mix: string
    /** Requests of each kind by the path the server took (read from the stored visit). */
    paths: Record<IdentifyKind, Record<Path, number>>
    serverCpuMsPerRequest: number
  }
  rssMb: number
  rssPeakMb: number
}

/** Loaded visitors: uniformly, weighted by visits (active visitors are looked up more), and the heaviest. */
class VisitorPicker {
  private readonly cum: Float64Array
  private readonly heavy: number[]
  constructor(
    ds: Dataset,
    private readonly loaded: number,
  ) {
    this.cum = new Float64Array(loaded)
    let acc = 0
    for (let v = 0; v < loaded; v++) this.cum[v] = acc += ds.counts[v]!
    const byCount = Array.from({ length: loaded }, (_, v) => v).sort((a, b) => ds.counts[b]! - ds.counts[a]!)
    this.heavy = byCount.slice(0, Math.max(1, Math.ceil(loaded / 100)))
  }
  uniform(r: Rng) {
    return r.int(this.loaded)
  }
  weighted(r: Rng) {
    const u = r.next() * this.cum[this.loaded - 1]!
    let a = 0
    let b = this.loaded - 1
    while (a < b) {
      const m = (a + b) >> 1
      if (this.cum[m]! < u) a = m + 1
      else b = m
    }
    return a
  }
  heavyOne(r: Rng) {
    return r.pick(this.heavy)
  }
}

export const IDENTIFY_KINDS = ['cookie', 'exact', 'similar', 'new'] as const
export type IdentifyKind = (typeof IDENTIFY_KINDS)[number]
/** The engine's paths (identification.path of a stored visit). */
export const PATHS = ['storedId', 'fingerprint', 'fuzzy', 'new'] as const
export type Path = (typeof PATHS)[number]

/** The path each of these requests took, from the identification the server stored with the visit. */
async function storedPaths(db: Target['db'], requestIds: string[]): Promise<Map<string, Path>> {
  const out = new Map<string, Path>()
  for (let i = 0; i < requestIds.length; i += 500) {
    const ids = requestIds.slice(i, i + 500)
    const rows = await db.query<{ request_id: string; identification: string }>(
      `select request_id, identification from visits where request_id in (${ids.map(() => '?').join(', ')})`,
      ids,
    )
    for (const r of rows) {
      const { path } = (
        typeof r.identification === 'string' ? JSON.parse(r.identification) : r.identification
      ) as { path: Path }
      out.set(r.request_id, path)
    }
  }
  return out
}

/**
 * 90% bootstrap interval of p99(a) ÷ p99(b) over pairs: request i of a and of b were sent at the same
 * instant, so a pair is resampled whole (the load it met is in both).
 */
export function pairedP99Interval(
  a: Float64Array,
  b: Float64Array,
  seed: number,
  rounds = 1000,
): [number, number] {
  const pairs: number[] = []
  for (let i = 0; i < a.length; i++) if (!Number.isNaN(a[i]!) && !Number.isNaN(b[i]!)) pairs.push(i)
  const n = pairs.length
  if (n === 0) return [Number.NaN, Number.NaN]
  const r = new Rng(seed)
  const xa = new Float64Array(n)
  const xb = new Float64Array(n)
  const k = Math.min(n - 1, Math.max(0, Math.ceil(0.99 * n) - 1))
  const ratios: number[] = []
  for (let round = 0; round < rounds; round++) {
    for (let j = 0; j < n; j++) {
      const i = pairs[r.int(n)]!
      xa[j] = a[i]!
      xb[j] = b[i]!
    }
    xa.sort()
    xb.sort()
    ratios.push(xa[k]! / xb[k]!)
  }
  ratios.sort((x, y) => x - y)
  const q = (p: number) => Math.round(ratios[Math.floor(p * (rounds - 1))]! * 100) / 100
  return [q(0.05), q(0.95)]
}

/** A server measured at a stage: the stage's own, or the reference server on a copy of the first stage. */
export interface Target {
  http: Http
  db: { query<T>(sql: string, params?: unknown[]): Promise<T[]> }
  pid: number
  /** Visitors in its store: requests pick among them. */
  loaded: number
  /**
   * Requests drawn for this stage (the stage server), or the same ones at every stage (the reference: its
   * store is the same copy each time).
   */
  reference: boolean
}

/**
 * Measures the targets side by side (lanes): one measurement per target, in order, and with two targets
 * the 90% interval of the first's p99 ÷ the second's.
 */
export async function measureStage(
  targets: Target[],
  ds: Dataset,
  keys: { publicKey: string; secretKey: string; tokenSecret: string },
  opts: MeasureOptions,
  stage: number,
): Promise<{
  measurements: StageMeasurement[]
  p99Ratio90?: { identify: [number, number]; get: [number, number] }
}> {
  const T = targets.length
  const seed = (base: number, t: number) =>
    targets[t]!.reference ? mix(base, 0x7e5, opts.seed) : mix(base, stage, opts.seed)
  const pickers = targets.map((t) => new VisitorPicker(ds, t.loaded))
  const peak = targets.map((t) => rssMb(t.pid))
  const sample = () => {
    targets.forEach((t, k) => {
      try {
        peak[k] = Math.max(peak[k]!, rssMb(t.pid))
      } catch {}
    })
  }
  const cpu = () => targets.map((t) => cpuMs(t.pid))
  const cpuPerRequest = (before: number[]) =>
    cpu().map((c, k) => Math.round(((c - before[k]!) / opts.requests) * 100) / 100)

  // GET /v1/visitors/:id — 60% weighted by traffic (default limit, 100), 25% any visitor ?limit=10,
  // 15% the heaviest 1% of visitors ?limit=100.
  const getPlan = (t: number, r: Rng) => {
    const picker = pickers[t]!
    const u = r.next()
    if (u < 0.6) return { v: picker.weighted(r), q: '' }
    if (u < 0.85) return { v: picker.uniform(r), q: '?limit=10' }
    return { v: picker.heavyOne(r), q: '?limit=100' }
  }
  const expected = (v: number, q: string) => Math.min(ds.counts[v]!, q === '?limit=10' ? 10 : 100)
  const getReq = (t: number, r: Rng) => {
    const { v, q } = getPlan(t, r)
    const http = targets[t]!.http
    return {
      v,
      q,
      visits: 0,
      run: () => http.send('GET', `/v1/visitors/${ds.visitorIds[v]}${q}`, { auth: keys.secretKey }),
    }
  }
  const warmGet = targets.map((_, t) => {
    const r = new Rng(seed(0xa1, t))
    return Array.from({ length: opts.warmup }, () => getReq(t, r))
  })
  await lanes(
    T,
    opts.warmup,
    opts.concurrency,
    (t, i) => warmGet[t]![i]!.run,
    () => true,
  )
  const getPlans = targets.map((_, t) => {
    const r = new Rng(seed(0x9e7, t))
    return Array.from({ length: opts.requests }, () => getReq(t, r))
  })
  const getCpu0 = cpu()
  const gets = await lanes(
    T,
    opts.requests,
    opts.concurrency,
    (t, i) => getPlans[t]![i]!.run,
    (t, i, reply) => {
      const p = getPlans[t]![i]!
      if (reply.status !== 200) return false
      p.visits = countVisits(reply.body)
      // Every tenth answer is parsed in full (parsing all of them would load the 2 cores we share).
      if (i % 10 === 0 && (JSON.parse(reply.body) as unknown[]).length !== p.visits) return false
      return p.visits >= expected(p.v, p.q)
    },
    sample,
  )
  const getCpu = cpuPerRequest(getCpu0)

  // POST /v1/identify — returning visitors (weighted by traffic) with their cookie (45%); returning ones
  // that lost it, from the address their stored profile holds: the same browser (20%: the exact-
  // fingerprint path) or one that has since installed a font (10%: the similar-fingerprint path); and
  // new browsers (25%). Which path each request took is read back from the visit the server stored.
  const newDevice = targets.map((t) =>
    t.reference
      ? 3_000_000_000 + (opts.seed % 1000) * 10_000
      : 2_000_000_000 + stage * 10_000_000 + (opts.seed % 1000) * 10_000,
  )
  const nowUs = () => Date.now() * 1000
  const identifyReq = (t: number, r: Rng) => {
    const picker = pickers[t]!
    const u = r.next()
    let kind: IdentifyKind = u < 0.45 ? 'cookie' : u < 0.65 ? 'exact' : u < 0.75 ? 'similar' : 'new'
    let v = kind === 'new' ? -1 : picker.weighted(r)
    if (kind === 'similar') {
      // A browser that still shows its original fingerprint, so that a font added is a change.
      for (let k = 0; k < 50 && ds.currentVersion[v] !== 0; k++) v = picker.weighted(r)
      if (ds.currentVersion[v] !== 0) kind = 'exact'
    }
    const d = v < 0 ? device(newDevice[t]!++) : device(v, kind === 'similar' ? 1 : ds.currentVersion[v]!)
    const f = FAMILIES[d.family]!
    const comps = components(d, r, nowUs())
    const storedId =
      kind === 'cookie'
        ? issueToken(keys.tokenSecret, ds.appId, ds.visitorIds[v]!, Date.now() - 86_400_000)
        : null
    const ip = v < 0 ? ds.templates!.ips[r.int(ds.templates!.ips.length)]! : ds.profileIp[v]!
    const body = identifyBody(
      keys.publicKey,
      comps,
      `https://shop.example/products/${r.int(5000)}`,
      storedId,
      {
        tag: { orderId: r.int(1e7) },
      },
    )
    const http = targets[t]!.http
    return {
      kind,
      v,
      requestId: '',
      run: () => http.send('POST', '/v1/identify', identifyHeaders(f.userAgent, ip), body),
    }
  }
  const warmId = targets.map((_, t) => {
    const r = new Rng(seed(0xa2, t))
    return Array.from({ length: opts.warmup }, () => identifyReq(t, r))
  })
  await lanes(
    T,
    opts.warmup,
    opts.concurrency,
    (t, i) => warmId[t]![i]!.run,
    () => true,
  )
  const plans = targets.map((_, t) => {
    const r = new Rng(seed(0x1d, t))
    return Array.from({ length: opts.requests }, () => identifyReq(t, r))
  })
  const returning = new Array<number>(T).fill(0)
  const matched = new Array<number>(T).fill(0)
  const newFound = new Array<number>(T).fill(0)
  const idCpu0 = cpu()
  const identifies = await lanes(
    T,
    opts.requests,
    opts.concurrency,
    (t, i) => plans[t]![i]!.run,
    (t, i, reply) => {
      if (reply.status !== 200) return false
      const p = plans[t]![i]!
      const res = JSON.parse(reply.body) as { requestId: string; visitorId: string; visitorFound: boolean }
      p.requestId = res.requestId
      if (p.kind === 'new') {
        if (res.visitorFound) newFound[t]!++
        return !res.visitorFound
      }
      returning[t]!++
      if (res.visitorId === ds.visitorIds[p.v]) matched[t]!++
      return true
    },
    sample,
  )
  const idCpu = cpuPerRequest(idCpu0)
  sample()

  const out: StageMeasurement[] = []
  for (let t = 0; t < T; t++) {
    const get = gets[t]!
    const identify = identifies[t]!
    const classes: GetClass[] = [
      ['traffic-weighted, default limit (100)', ''],
      ['any visitor, ?limit=10', '?limit=10'],
      ['top 1% heaviest, ?limit=100', '?limit=100'],
    ].map(([name, q]) => {
      const idx = getPlans[t]!.flatMap((p, i) => (p.q === q ? [i] : []))
      const lat = summarize(
        idx.map((i) => get.byIndex[i]!).filter((x) => !Number.isNaN(x)),
        0,
      )
      const visits = idx.reduce((n, i) => n + getPlans[t]![i]!.visits, 0)
      return { name: name!, ...lat, avgVisits: idx.length ? Math.round((visits / idx.length) * 10) / 10 : 0 }
    })
    const allVisits = getPlans[t]!.reduce((n, p) => n + p.visits, 0)
    const stored = await storedPaths(
      targets[t]!.db,
      plans[t]!.map((p) => p.requestId).filter((id) => id !== ''),
    )
    const paths = Object.fromEntries(
      IDENTIFY_KINDS.map((k) => [k, Object.fromEntries(PATHS.map((p) => [p, 0]))]),
    ) as Record<IdentifyKind, Record<Path, number>>
    for (const p of plans[t]!) {
      const path = stored.get(p.requestId)
      if (path) paths[p.kind][path]++
    }
    out.push({
      get: {
        n: get.n,
        p50: get.p50,
        p99: get.p99,
        max: get.max,
        errors: get.errors,
        avgVisits: Math.round((allVisits / getPlans[t]!.length) * 10) / 10,
        mix: '60% traffic-weighted (default limit, 100), 25% any visitor ?limit=10, 15% top-1% heavy ?limit=100',
        classes,
        serverCpuMsPerRequest: getCpu[t]!,
      },
      identify: {
        n: identify.n,
        p50: identify.p50,
        p99: identify.p99,
        max: identify.max,
        errors: identify.errors,
        returning: returning[t]!,
        returningMatched: matched[t]!,
        newFound: newFound[t]!,
        mix: '45% returning with storedId; without it, from the address of their profile: 20% the same browser, 10% with a font added; 25% new browsers',
        paths,
        serverCpuMsPerRequest: idCpu[t]!,
      },
      rssMb: Math.round(rssMb(targets[t]!.pid) * 10) / 10,
      rssPeakMb: Math.round(peak[t]! * 10) / 10,
    })
  }
  if (T !== 2) return { measurements: out }
  return {
    measurements: out,
    p99Ratio90: {
      identify: pairedP99Interval(
        identifies[0]!.byIndex,
        identifies[1]!.byIndex,
        mix(0xb0, stage, opts.seed),
      ),
      get: pairedP99Interval(gets[0]!.byIndex, gets[1]!.byIndex, mix(0xb1, stage, opts.seed)),
    },
  }
}
