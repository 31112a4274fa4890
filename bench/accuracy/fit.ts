// Fits the link models (packages/server/src/identify/links.ts) by maximum likelihood: LINK_MODEL, a
// logistic regression of "this candidate is this browser" over every candidate of every storage-less
// visit; NEW_MODEL, a logistic regression of "this browser is new" over the visits answered as new.
// Each is a linear score, then a spline of the score fitted the same way (its calibration).
import {
  LINK_FEATURES,
  type LinkFeature,
  type LinkModels,
  type LogisticModel,
  linkProbabilities,
  MATCH_FEATURES,
  MAX_LINKS,
  type MatchFeature,
  matchFeatures,
  matchProbability,
  NEW_FEATURES,
  type NewContext,
  type NewFeature,
  newFeatures,
  newProbability,
  SCORE_KNOTS,
} from '../../packages/server/src/identify/links.js'
import { type Reliability, ReliabilityTable } from './harness.js'

/** Candidate features of one storage-less visit of ours, and which candidates were its browser. */
export interface FitCase {
  features: Record<string, number>[]
  /** Per candidate: its id was first given to this browser (a browser split over several ids has several). */
  rights: boolean[]
  /** What the new-visitor probability uses besides the candidates (identify/links.ts NewContext). */
  context: NewContext
  /** The strict engine answered with a new visitor. */
  decidedNew: boolean
  /** The candidate the strict engine matched the visit to (index in `features`), or −1. */
  decided: number
  /** The browser had visited before (the truth). */
  seenBefore: boolean
  browser: number
}

/** Newton–Raphson on the log-likelihood of a logistic regression, with a small ridge (a prior N(0, 1/ridge)). */
export function fitLogistic(x: Float64Array[], y: boolean[], ridge = 1, iterations = 50): Float64Array {
  const K = x[0]?.length ?? 0
  const w = new Float64Array(K)
  for (let it = 0; it < iterations; it++) {
    const g = new Float64Array(K)
    const h = Array.from({ length: K }, () => new Float64Array(K))
    for (let i = 0; i < x.length; i++) {
      const xi = x[i]!
      let s = 0
      for (let k = 0; k < K; k++) s += xi[k]! * w[k]!
      const p = 1 / (1 + Math.exp(-s))
      const r = (y[i] ? 1 : 0) - p
      const v = p * (1 - p)
      for (let a = 0; a < K; a++) {
        g[a]! += r * xi[a]!
        if (xi[a] === 0) continue
        for (let b = a; b < K; b++) h[a]![b]! += v * xi[a]! * xi[b]!
      }
    }
    for (let a = 0; a < K; a++) {
      g[a]! -= ridge * w[a]!
      h[a]![a]! += ridge
      for (let b = 0; b < a; b++) h[a]![b] = h[b]![a]!
    }
    const step = solve(h, g)
    let max = 0
    for (let k = 0; k < K; k++) {
      w[k]! += step[k]!
      max = Math.max(max, Math.abs(step[k]!))
    }
    if (max < 1e-7) break
  }
  return w
}

/** Gaussian elimination with partial pivoting (A is small and positive definite). */
function solve(a: Float64Array[], b: Float64Array): Float64Array {
  const n = b.length
  const m = a.map((r, i) => Float64Array.from([...r, b[i]!]))
  for (let c = 0; c < n; c++) {
    let p = c
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r]![c]!) > Math.abs(m[p]![c]!)) p = r
    ;[m[c], m[p]] = [m[p]!, m[c]!]
    const d = m[c]![c]! || 1e-12
    for (let r = c + 1; r < n; r++) {
      const f = m[r]![c]! / d
      if (f) for (let k = c; k <= n; k++) m[r]![k]! -= f * m[c]![k]!
    }
  }
  const out = new Float64Array(n)
  for (let r = n - 1; r >= 0; r--) {
    let s = m[r]![n]!
    for (let k = r + 1; k < n; k++) s -= m[r]![k]! * out[k]!
    out[r] = s / (m[r]![r]! || 1e-12)
  }
  return out
}

const round = (x: number) => Math.round(x * 1000) / 1000

/**
 * A LogisticModel: the linear score first, then the spline of the score that calibrates it, on the
 * rows `served(scores)` keeps (default: all).
 */
export function fitModel<K extends string>(
  keys: readonly K[],
  rows: { f: Record<K, number>; y: boolean }[],
  served: (scores: number[]) => boolean[] = (s) => s.map(() => true),
): LogisticModel<K> {
  const x = rows.map((r) => Float64Array.from(keys, (k) => r.f[k] ?? 0))
  const y = rows.map((r) => r.y)
  const w = fitLogistic(x, y)
  const weights = Object.fromEntries(keys.map((k, i) => [k, round(w[i]!)])) as Record<K, number>
  const spline = (s: number) => Float64Array.from([1, s, ...SCORE_KNOTS.map((k) => Math.max(0, s - k))])
  const scores = x.map((xi) => keys.reduce((a, k, i) => a + xi[i]! * weights[k], 0))
  const keep = served(scores)
  const c = fitLogistic(
    scores.filter((_, i) => keep[i]).map(spline),
    y.filter((_, i) => keep[i]),
  )
  return { weights, calibration: Array.from(c, round) }
}

/**
 * The score is fitted on every candidate; its calibration on the MAX_LINKS best of each visit, the
 * ones the engine serves (the best of many is chosen partly for luck, so it is right less often than
 * its score alone says).
 */
export function fitLinkModel(cases: FitCase[]): LogisticModel<LinkFeature> {
  const rows = cases.flatMap((c) =>
    c.features.map((f, i) => ({ f: f as Record<LinkFeature, number>, y: c.rights[i] === true })),
  )
  return fitModel(LINK_FEATURES, rows, (scores) => {
    const keep: boolean[] = []
    let at = 0
    for (const c of cases) {
      const s = scores.slice(at, at + c.features.length)
      const order = s.map((_, i) => i).sort((a, b) => s[b]! - s[a]!)
      const top = new Set(order.slice(0, MAX_LINKS))
      for (let i = 0; i < s.length; i++) keep.push(top.has(i))
      at += c.features.length
    }
    return keep
  })
}

const linkP = (c: FitCase, link: LinkModels['link']) =>
  linkProbabilities(
    c.features.map((f) => f as Record<LinkFeature, number>),
    link,
  )

const freshFeatures = (c: FitCase, link: LinkModels['link']) =>
  newFeatures(
    linkP(c, link).map((p, i) => ({ p, exact: c.features[i]!.exact === 1 })),
    c.context,
  )

/** NEW_MODEL on the visits answered as new, given the link model's probabilities of their candidates. */
export function fitNewModel(cases: FitCase[], link: LinkModels['link']): LogisticModel<NewFeature> {
  return fitModel(
    NEW_FEATURES,
    cases.filter((c) => c.decidedNew).map((c) => ({ f: freshFeatures(c, link), y: !c.seenBefore })),
  )
}

/** MATCH_MODEL on the visits the strict engine matched to one of their candidates. */
export function fitMatchModel(cases: FitCase[], link: LinkModels['link']): LogisticModel<MatchFeature> {
  return fitModel(
    MATCH_FEATURES,
    cases
      .filter((c) => c.decided >= 0)
      .map((c) => ({ f: matchFeatures(linkP(c, link)[c.decided]!), y: c.rights[c.decided] === true })),
  )
}

/**
 * Reliability of the models on these visits: the served candidates' probabilities (the MAX_LINKS best
 * of each visit, as bench:accuracy scores them) and the new-visitor probability of the visits answered
 * as new.
 */
export function fitReliability(
  cases: FitCase[],
  models: LinkModels,
): { links: Reliability; fresh: Reliability; match: Reliability } {
  const links = new ReliabilityTable()
  const fresh = new ReliabilityTable()
  const match = new ReliabilityTable()
  for (const c of cases) {
    const p = linkP(c, models.link)
    const top = p
      .map((_, i) => i)
      .sort((a, b) => p[b]! - p[a]!)
      .slice(0, MAX_LINKS)
    for (const i of top) links.add(p[i]!, c.rights[i] === true)
    if (c.decidedNew) fresh.add(newProbability(freshFeatures(c, models.link), models.fresh), !c.seenBefore)
    if (c.decided >= 0) match.add(matchProbability(p[c.decided]!, models), c.rights[c.decided] === true)
  }
  return { links: links.result(), fresh: fresh.result(), match: match.result() }
}

/**
 * What LINK_ACCEPT would do on these visits (first order: ignoring what a link changes later): among the
 * visits the strict engine answered with a new visitor, those whose best candidate is the only visitor
 * with this exact fingerprint, at probability ≥ t: how many it would link rightly, wrongly, and how
 * many browsers the wrong ones touch.
 */
export function acceptTable(cases: FitCase[], link: LinkModels['link'], ts: number[]) {
  const rows = ts.map((t) => ({ t, right: 0, wrong: 0, browsers: new Set<number>() }))
  for (const c of cases) {
    if (!c.decidedNew || c.features.length === 0) continue
    const p = linkP(c, link)
    let best = 0
    for (let i = 1; i < p.length; i++) if (p[i]! > p[best]!) best = i
    const f = c.features[best]!
    if (f.exact !== 1 || f.logExactHolders !== 0) continue
    for (const r of rows)
      if (p[best]! >= r.t) {
        if (c.rights[best]) r.right++
        else {
          r.wrong++
          r.browsers.add(c.browser)
        }
      }
  }
  return rows.map((r) => ({ t: r.t, right: r.right, wrong: r.wrong, browsersWronglyLinked: r.browsers.size }))
}
