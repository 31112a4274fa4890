// The accuracy harness: population → evolution → every identifier sees the same visits in time order.

import { hash } from '../../packages/agent/src/hash.js'
import { STABLE_COMPONENTS } from '../../packages/agent/src/stable.js'
import { computeFingerprint } from '../../packages/server/src/identify/fingerprint.js'
import type { AccuracyConfig } from './config.js'
import { type Simulation, simulate } from './evolution.js'
import type { FitCase } from './fit.js'
import { buildPopulation, type Population, sampleRaw } from './population.js'
import { DAY } from './rng.js'
import type { Components, EventType, Identifier, SimVisit } from './types.js'

export const EVENT_TYPES: EventType[] = [
  'first',
  'revisit',
  'browserUpdate',
  'osUpdate',
  'dst',
  'travel',
  'zoom',
  'monitor',
  'fontInstall',
  'gpuDriver',
  'clearStorage',
  'incognito',
  'randomized',
  'deviceReplacement',
]

export interface Calibration {
  desktopPopular: number
  mobilePopular: number
  desktopUnique: number
  mobileUnique: number
  desktopLargestSet: number
  mobileLargestSet: number
  desktopBrowsers: number
  mobileBrowsers: number
}

export interface MethodMetrics {
  name: string
  falseMergeOutside: number
  falseMergeWithin: number
  ownership: number
  falseSplit: number
  idsPerBrowserMean: number
  idsPerBrowserP95: number
  visitCorrect: number
  trackingMeanDays: number
  trackingMaxDays: number
  trackedBeyond100: number
  latencyP50us: number
  latencyP99us: number
  latencyAtSize: { size: number; p50us: number; p99us: number }[]
  perEvent: Record<string, { visits: number; correct: number; kept: number | null }>
  /** Methods that answer with a probability: reliability of confidence.score. */
  answers?: Reliability
  /** Methods that offer probable links. */
  links?: LinkMetrics
}

/** Deciles of predicted probability: how many, mean prediction, observed share right; and the Brier score. */
export interface Reliability {
  buckets: { n: number; meanP: number; observed: number }[]
  brier: number
  n: number
}

export interface LinkMetrics {
  /** Storage-less visits of a browser seen before. */
  returns: number
  /** Share of them whose earlier id is among the ≤ 3 candidates; per platform. */
  recall3: number
  recall3Desktop: number
  recall3Mobile: number
  /** Among the returns the perfect oracle links (this browser showed this exact fingerprint before). */
  perfectLinkable: number
  recall3OfPerfect: number
  calibration: Reliability
}

/** Accumulates a reliability table (10 equal-width buckets). */
export class ReliabilityTable {
  private readonly n = new Float64Array(10)
  private readonly p = new Float64Array(10)
  private readonly y = new Float64Array(10)
  private sq = 0
  private total = 0
  add(p: number, right: boolean) {
    const i = Math.min(9, Math.max(0, Math.floor(p * 10)))
    this.n[i]!++
    this.p[i]! += p
    this.y[i]! += right ? 1 : 0
    this.sq += (p - (right ? 1 : 0)) ** 2
    this.total++
  }
  result(): Reliability {
    return {
      buckets: Array.from(this.n, (n, i) => ({
        n,
        meanP: n ? this.p[i]! / n : 0,
        observed: n ? this.y[i]! / n : 0,
      })),
      brier: this.total ? this.sq / this.total : 0,
      n: this.total,
    }
  }
}

export interface AccuracyResult {
  config: AccuracyConfig
  calibration: Calibration
  population: {
    devices: number
    browsers: number
    visits: number
    cloneGroupBrowsers: number
    eventCounts: Record<string, number>
  }
  /**
   * Visits (share of all) that arrive without a stored identifier after the browser's first visit, and
   * those among them whose exact fingerprint another browser of the same network (ASN) presented in
   * the previous 30 days, from an address this browser had never used: nothing stable tells the two
   * browsers apart there.
   */
  ambiguity: { withoutStoredId: number; indistinguishable: number }
  ideal: { trackingMeanDays: number; trackingMaxDays: number; browsersOver100Days: number }
  methods: MethodMetrics[]
  /** Storage-less visits with their candidates' features (for --fit), when asked for. */
  fit?: FitCase[]
  seconds: { population: number; simulation: number; metrics: number; latencyAtSize: number; total: number }
}

type Log = (msg: string) => void

/** Exact fingerprints of every starting browser at its first visit: uniqueness and largest anonymity set. */
function measureUniqueness(cfg: AccuracyConfig, pop: Population, sampled: ReturnType<typeof sampleRaw>) {
  const sim = simulate(cfg, pop, sampled.source, true)
  const seen = new Set<number>()
  const groups = { desktop: new Map<string, number>(), mobile: new Map<string, number>() }
  for (let k = 0; k < sim.visitBrowser.length; k++) {
    const b = sim.visitBrowser[k]!
    if (seen.has(b) || b >= pop.browsers.length) continue
    seen.add(b)
    const v = sim.visit(k)
    const fp = computeFingerprint(v.components, STABLE_COMPONENTS)
    const m = groups[v.truth.platform]
    m.set(fp, (m.get(fp) ?? 0) + 1)
  }
  const stats = (m: Map<string, number>) => {
    let total = 0
    let unique = 0
    let largest = 0
    for (const n of m.values()) {
      total += n
      if (n === 1) unique++
      largest = Math.max(largest, n)
    }
    return { unique: unique / Math.max(1, total), largest: largest / Math.max(1, total), total }
  }
  return { desktop: stats(groups.desktop), mobile: stats(groups.mobile) }
}

function calibrate(
  cfg: AccuracyConfig,
  sampled: ReturnType<typeof sampleRaw>,
  log: Log,
): { pop: Population; cal: Calibration } {
  let e = { desktop: cfg.calibration.desktopPopular, mobile: cfg.calibration.mobilePopular }
  const w = cfg.calibration.bracket
  const lo = { desktop: Math.max(0, e.desktop - w), mobile: Math.max(0, e.mobile - w) }
  const hi = { desktop: Math.min(1, e.desktop + w), mobile: Math.min(1, e.mobile + w) }
  let pop = buildPopulation(cfg, sampled, e)
  let st = measureUniqueness(cfg, pop, sampled)
  if (cfg.calibration.enabled) {
    for (let it = 0; it < cfg.calibration.rounds; it++) {
      for (const p of ['desktop', 'mobile'] as const) {
        const target = p === 'desktop' ? cfg.calibration.desktopUnique : cfg.calibration.mobileUnique
        // More popular configurations → fewer unique fingerprints.
        if (st[p].unique > target) lo[p] = e[p]
        else hi[p] = e[p]
      }
      e = { desktop: (lo.desktop + hi.desktop) / 2, mobile: (lo.mobile + hi.mobile) / 2 }
      pop = buildPopulation(cfg, sampled, e)
      st = measureUniqueness(cfg, pop, sampled)
      log(
        `  calibration ${it + 1}: popular share desktop ${e.desktop.toFixed(3)} → ${(st.desktop.unique * 100).toFixed(1)}% unique, mobile ${e.mobile.toFixed(3)} → ${(st.mobile.unique * 100).toFixed(1)}% unique`,
      )
    }
  }
  return {
    pop,
    cal: {
      desktopPopular: e.desktop,
      mobilePopular: e.mobile,
      desktopUnique: st.desktop.unique,
      mobileUnique: st.mobile.unique,
      desktopLargestSet: st.desktop.largest,
      mobileLargestSet: st.mobile.largest,
      desktopBrowsers: st.desktop.total,
      mobileBrowsers: st.mobile.total,
    },
  }
}

const pct = (xs: ArrayLike<number>, q: number): number => {
  const a = Float64Array.from(xs).sort()
  return a.length ? a[Math.min(a.length - 1, Math.floor(q * a.length))]! : 0
}

/** Counts AccuracyResult['ambiguity'] from the evidence of each visit (the truth only says whose it is). */
class Ambiguity {
  withoutStored = 0
  indistinguishable = 0
  private readonly lastByFingerprint = new Map<string, Map<string, number>>()
  private readonly ipsOf = new Map<string, Set<string>>()

  observe(v: SimVisit) {
    const key = `${computeFingerprint(v.components, STABLE_COMPONENTS)}|${v.asn}`
    const browser = v.truth.browser
    const ips = this.ipsOf.get(browser)
    const seenBy = this.lastByFingerprint.get(key) ?? new Map<string, number>()
    if (ips && !v.storageKept) {
      this.withoutStored++
      if (!ips.has(v.ip) && [...seenBy].some(([other, t]) => other !== browser && v.t - t < 30 * DAY))
        this.indistinguishable++
    }
    seenBy.set(browser, v.t)
    this.lastByFingerprint.set(key, seenBy)
    if (ips) ips.add(v.ip)
    else this.ipsOf.set(browser, new Set([v.ip]))
  }
}

export async function runAccuracy(
  config: AccuracyConfig,
  identifiers: Identifier[],
  log: Log = () => {},
  opts: { fit?: boolean } = {},
): Promise<AccuracyResult> {
  const t0 = performance.now()
  log(`sampling ${config.devices} devices from fingerprint-generator…`)
  const sampled = sampleRaw(config)
  const { pop, cal } = calibrate(config, sampled, log)
  const t1 = performance.now()
  const sim: Simulation = simulate(config, pop, sampled.source)
  const V = sim.visitBrowser.length
  const B = sim.browsers.length
  log(`${sim.devices.length} devices, ${B} browsers, ${V} visits; identifying…`)
  const M = identifiers.length
  const ids = identifiers.map(() => new Int32Array(V))
  const intern = identifiers.map(() => new Map<string, number>())
  const lat = identifiers.map(() => new Float32Array(V))
  const stored: (string | null)[][] = identifiers.map(() => new Array(B).fill(null))
  const evMask = new Uint16Array(V)
  const eventCounts: Record<string, number> = {}
  const templates: Components[] = []
  const ambiguity = new Ambiguity()
  // Per method: the browser each id was first given to; reliability of answers and of candidates.
  const firstOwner = identifiers.map(() => new Map<string, number>())
  const answerRel = identifiers.map(() => new ReliabilityTable())
  const linkRel = identifiers.map(() => new ReliabilityTable())
  const linkCounts = identifiers.map(() => ({ hit: 0, desktop: [0, 0], mobile: [0, 0], perfect: [0, 0] }))
  const hasAnswers = identifiers.map(() => false)
  const hasLinks = identifiers.map(() => false)
  const seenBrowser = new Uint8Array(B)
  const shown = new Map<string, Set<number>>()
  const fit: FitCase[] = []
  let returns = 0
  for (let k = 0; k < V; k++) {
    const v: SimVisit = sim.visit(k)
    const b = sim.visitBrowser[k]!
    for (const e of v.events) {
      evMask[k]! |= 1 << EVENT_TYPES.indexOf(e)
      eventCounts[e] = (eventCounts[e] ?? 0) + 1
    }
    if (k % 997 === 0 && templates.length < 400) templates.push(v.components)
    const incognito = v.events.includes('incognito')
    ambiguity.observe(v)
    const { truth: _t, events: _e, ...seen } = v
    const fp = computeFingerprint(v.components, STABLE_COMPONENTS)
    const holders = shown.get(fp) ?? new Set<number>()
    const isReturn = seenBrowser[b] === 1 && !v.storageKept
    const linkable = isReturn && holders.has(b)
    if (isReturn) returns++
    for (let m = 0; m < M; m++) {
      const given = v.storageKept ? stored[m]![b]! : null
      const idf = identifiers[m]!
      const s = performance.now()
      const r = await idf.identify(idf.oracle ? v : seen, given)
      lat[m]![k] = (performance.now() - s) * 1000
      if (!incognito) stored[m]![b] = r.storedId
      const owners = firstOwner[m]!
      const owner = owners.get(r.visitorId)
      if (r.confidence !== undefined) {
        hasAnswers[m] = true
        answerRel[m]!.add(r.confidence, owner === undefined ? seenBrowser[b] === 0 : owner === b)
      }
      if (r.candidates && given === null) {
        hasLinks[m] = true
        for (const c of r.candidates) linkRel[m]!.add(c.probability, owners.get(c.visitorId) === b)
        if (isReturn) {
          const hit = r.candidates.some((c) => owners.get(c.visitorId) === b) ? 1 : 0
          const lc = linkCounts[m]!
          lc.hit += hit
          const plat = v.truth.platform === 'desktop' ? lc.desktop : lc.mobile
          plat[0]! += hit
          plat[1]!++
          if (linkable) {
            lc.perfect[0]! += hit
            lc.perfect[1]!++
          }
        }
        if (opts.fit && r.features)
          fit.push({
            seenBefore: seenBrowser[b] === 1,
            features: r.features.map((f) => f.features),
            rights: r.features.map((f) => owners.get(f.visitorId) === b),
            context: r.context ?? { mobile: false, logRecognised: 0 },
            decidedNew: owner === undefined,
            decided: r.features.findIndex((f) => f.visitorId === r.visitorId),
            browser: b,
          })
      }
      if (owner === undefined) owners.set(r.visitorId, b)
      const map = intern[m]!
      let n = map.get(r.visitorId)
      if (n === undefined) {
        n = map.size
        map.set(r.visitorId, n)
      }
      ids[m]![k] = n
    }
    holders.add(b)
    shown.set(fp, holders)
    seenBrowser[b] = 1
    if (k % 50000 === 0 && k) log(`  ${k} / ${V} visits`)
  }
  const t2 = performance.now()

  // Truth per browser.
  const cg = sim.browsers.map((b) => b.device.cloneGroup)
  const visitsOf: number[][] = Array.from({ length: B }, () => [])
  for (let k = 0; k < V; k++) visitsOf[sim.visitBrowser[k]!]!.push(k)
  const lifetime = visitsOf.map((vs) =>
    vs.length ? (sim.visitTime[vs[vs.length - 1]!]! - sim.visitTime[vs[0]!]!) / DAY : 0,
  )
  const multi = visitsOf.map((vs) => vs.length >= 2)
  const nMulti = multi.filter(Boolean).length
  const long = lifetime.map((l) => l > 100)
  const nLong = long.filter(Boolean).length
  const cloneBrowsers = cg.filter((g) => g !== null).length

  const methods: MethodMetrics[] = identifiers.map((idf, m) => {
    const id = ids[m]!
    const nIds = intern[m]!.size
    // Visits per (id, browser).
    const pair = new Map<number, number>()
    for (let k = 0; k < V; k++) {
      const key = id[k]! * B + sim.visitBrowser[k]!
      pair.set(key, (pair.get(key) ?? 0) + 1)
    }
    const ownerCount = new Int32Array(nIds)
    const owner = new Int32Array(nIds).fill(-1)
    const browsersOfId: number[][] = Array.from({ length: nIds }, () => [])
    const modeCount = new Int32Array(B)
    const mode = new Int32Array(B).fill(-1)
    const idsPer = new Int32Array(B)
    for (const [key, n] of pair) {
      const i = Math.floor(key / B)
      const b = key - i * B
      browsersOfId[i]!.push(b)
      idsPer[b]!++
      if (n > ownerCount[i]!) {
        ownerCount[i] = n
        owner[i] = b
      }
      if (n > modeCount[b]!) {
        modeCount[b] = n
        mode[b] = i
      }
    }
    let owned = 0
    for (let i = 0; i < nIds; i++) owned += ownerCount[i]!
    const outside = new Uint8Array(B)
    const within = new Uint8Array(B)
    for (const bs of browsersOfId) {
      if (bs.length < 2) continue
      const perGroup = new Map<string, number>()
      for (const b of bs) if (cg[b]) perGroup.set(cg[b]!, (perGroup.get(cg[b]!) ?? 0) + 1)
      for (const b of bs) {
        const same = cg[b] ? perGroup.get(cg[b]!)! : 1
        if (bs.length - same > 0) outside[b] = 1
        if (same > 1) within[b] = 1
      }
    }
    const ipb = Array.from(idsPer)
    // Visit-level correctness and per-event figures.
    const perEvent: MethodMetrics['perEvent'] = {}
    for (const e of EVENT_TYPES) perEvent[e] = { visits: 0, correct: 0, kept: 0 }
    const keptDen: Record<string, number> = {}
    let correct = 0
    const prevId = new Int32Array(B).fill(-1)
    for (let k = 0; k < V; k++) {
      const b = sim.visitBrowser[k]!
      const i = id[k]!
      const ok = i === mode[b] && owner[i] === b
      if (ok) correct++
      for (let e = 0; e < EVENT_TYPES.length; e++)
        if (evMask[k]! & (1 << e)) {
          const pe = perEvent[EVENT_TYPES[e]!]!
          pe.visits++
          if (ok) pe.correct++
          if (prevId[b]! >= 0) {
            keptDen[EVENT_TYPES[e]!] = (keptDen[EVENT_TYPES[e]!] ?? 0) + 1
            if (prevId[b] === i) pe.kept!++
          }
        }
      prevId[b] = i
    }
    for (const e of EVENT_TYPES) {
      const pe = perEvent[e]!
      pe.correct = pe.visits ? pe.correct / pe.visits : 0
      pe.kept = keptDen[e] ? pe.kept! / keptDen[e]! : null
    }
    // Tracking chains (FP-Stalker): maximal runs of consecutive visits of a browser with the same id.
    let sumAvg = 0
    let sumMax = 0
    let over100 = 0
    for (let b = 0; b < B; b++) {
      const vs = visitsOf[b]!
      if (vs.length < 2) continue
      const chains: number[] = []
      let s = 0
      for (let j = 1; j <= vs.length; j++) {
        if (j === vs.length || id[vs[j]!] !== id[vs[j - 1]!]) {
          chains.push((sim.visitTime[vs[j - 1]!]! - sim.visitTime[vs[s]!]!) / DAY)
          s = j
        }
      }
      sumAvg += chains.reduce((a, x) => a + x, 0) / chains.length
      const mx = Math.max(...chains)
      sumMax += mx
      if (long[b] && mx > 100) over100++
    }
    const l = lat[m]!
    return {
      name: idf.name,
      falseMergeOutside: outside.reduce((a, x) => a + x, 0) / B,
      falseMergeWithin: cloneBrowsers ? within.reduce((a, x) => a + x, 0) / cloneBrowsers : 0,
      ownership: owned / V,
      falseSplit: ipb.filter((x) => x > 1).length / B,
      idsPerBrowserMean: ipb.reduce((a, x) => a + x, 0) / B,
      idsPerBrowserP95: pct(ipb, 0.95),
      visitCorrect: correct / V,
      trackingMeanDays: sumAvg / Math.max(1, nMulti),
      trackingMaxDays: sumMax / Math.max(1, nMulti),
      trackedBeyond100: nLong ? over100 / nLong : 0,
      latencyP50us: pct(l, 0.5),
      latencyP99us: pct(l, 0.99),
      latencyAtSize: [],
      perEvent,
      ...(hasAnswers[m] ? { answers: answerRel[m]!.result() } : {}),
      ...(hasLinks[m]
        ? {
            links: {
              returns,
              recall3: linkCounts[m]!.hit / Math.max(1, returns),
              recall3Desktop: linkCounts[m]!.desktop[0]! / Math.max(1, linkCounts[m]!.desktop[1]!),
              recall3Mobile: linkCounts[m]!.mobile[0]! / Math.max(1, linkCounts[m]!.mobile[1]!),
              perfectLinkable: linkCounts[m]!.perfect[1]!,
              recall3OfPerfect: linkCounts[m]!.perfect[0]! / Math.max(1, linkCounts[m]!.perfect[1]!),
              calibration: linkRel[m]!.result(),
            },
          }
        : {}),
    }
  })
  const t3 = performance.now()

  // Latency at larger stored sizes: fill with background visits (new devices derived from real templates).
  for (let m = 0; m < M; m++) {
    const idf = identifiers[m]!
    if (!idf.size) continue
    const end = Date.parse(config.start) + config.days * DAY
    let n = 0
    for (const target of config.latencySizes) {
      if (idf.size() >= target) continue
      log(`  ${idf.name}: filling to ${target} stored visits…`)
      const issued: [ReturnType<typeof background>, string][] = []
      while (idf.size() < target) {
        const v = background(templates, n, end + n * 30_000)
        const r = await idf.identify(v, null)
        if (n % 1000 === 0 && issued.length < 1000) issued.push([v, r.storedId])
        n++
      }
      const probes = new Float64Array(1000)
      for (let j = 0; j < probes.length; j++) {
        const again = j % 2 === 0 && issued.length
        const [v, sid] = again
          ? issued[j % issued.length]!
          : [background(templates, n++, end + n * 30_000), null]
        const s = performance.now()
        await idf.identify({ ...v, t: end + n * 30_000 }, sid)
        probes[j] = (performance.now() - s) * 1000
      }
      methods[m]!.latencyAtSize.push({ size: idf.size(), p50us: pct(probes, 0.5), p99us: pct(probes, 0.99) })
    }
  }
  const t4 = performance.now()

  // The best any method could do: one id per browser for its whole life.
  let idealAvg = 0
  for (let b = 0; b < B; b++) if (multi[b]) idealAvg += lifetime[b]!
  return {
    config,
    calibration: cal,
    population: {
      devices: sim.devices.length,
      browsers: B,
      visits: V,
      cloneGroupBrowsers: cloneBrowsers,
      eventCounts,
    },
    ambiguity: {
      withoutStoredId: ambiguity.withoutStored / V,
      indistinguishable: ambiguity.indistinguishable / V,
    },
    ideal: {
      trackingMeanDays: idealAvg / Math.max(1, nMulti),
      trackingMaxDays: idealAvg / Math.max(1, nMulti),
      browsersOver100Days: nLong,
    },
    methods,
    ...(opts.fit ? { fit } : {}),
    seconds: {
      population: (t1 - t0) / 1000,
      simulation: (t2 - t1) / 1000,
      metrics: (t3 - t2) / 1000,
      latencyAtSize: (t4 - t3) / 1000,
      total: (t4 - t0) / 1000,
    },
  }
}

/** A background visit: a real template with its device-specific renderings replaced, so it is a new device. */
function background(templates: Components[], n: number, t: number): Omit<SimVisit, 'truth' | 'events'> {
  const tpl = templates[n % templates.length]!
  const h = hash(`bg${n}`)
  return {
    t,
    components: {
      ...tpl,
      canvas: { value: { text: h, geometry: hash(`bgg${n}`), stable: true }, duration: 9 },
      audio: { value: 30 + (n % 100000) / 1000, duration: 20 },
    },
    ip: `100.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`,
    asn: 64512 + (n % 1000),
    country: 'US',
    storageKept: false,
  }
}
