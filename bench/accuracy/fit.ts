// Fits the link model's coefficients (packages/server/src/identify/links.ts) by maximum likelihood:
// a conditional logit with a "none of them" option, as linkProbabilities() computes it.
import { LINK_FEATURES, type LinkFeature } from '../../packages/server/src/identify/links.js'
import type { FitCase } from './harness.js'

export function fitLinkModel(cases: FitCase[], epochs = 400): Record<LinkFeature, number> {
  const K = LINK_FEATURES.length
  const data = cases
    .filter((c) => c.features.length)
    .map((c) => ({
      x: c.features.map((f) => Float64Array.from(LINK_FEATURES, (k) => f[k] ?? 0)),
      right: c.right,
    }))
  const w = new Float64Array(K)
  w[0] = -2
  const m = new Float64Array(K)
  const v = new Float64Array(K)
  const lr = 0.05
  for (let t = 1; t <= epochs; t++) {
    const g = new Float64Array(K)
    for (const { x, right } of data) {
      const s = x.map((xi) => xi.reduce((a, xk, k) => a + xk * w[k]!, 0))
      const max = Math.max(0, ...s)
      const e = s.map((si) => Math.exp(si - max))
      const z = Math.exp(-max) + e.reduce((a, b) => a + b, 0)
      for (let j = 0; j < x.length; j++) {
        const pj = e[j]! / z
        for (let k = 0; k < K; k++) g[k]! -= pj * x[j]![k]!
      }
      if (right >= 0) for (let k = 0; k < K; k++) g[k]! += x[right]![k]!
    }
    // Adam on the mean gradient, with a little L2.
    for (let k = 0; k < K; k++) {
      const gk = g[k]! / data.length - 1e-4 * w[k]!
      m[k] = 0.9 * m[k]! + 0.1 * gk
      v[k] = 0.999 * v[k]! + 0.001 * gk * gk
      const mh = m[k]! / (1 - 0.9 ** t)
      const vh = v[k]! / (1 - 0.999 ** t)
      w[k]! += (lr * mh) / (Math.sqrt(vh) + 1e-8)
    }
  }
  return Object.fromEntries(LINK_FEATURES.map((k, i) => [k, Math.round(w[i]! * 1000) / 1000])) as Record<
    LinkFeature,
    number
  >
}

/**
 * What LINK_ACCEPT would do on these visits (first order: ignoring what a link changes later): among the
 * visits the strict engine answered with a new visitor, those whose best candidate is the only visitor
 * with this exact fingerprint, at probability ≥ t: how many it would link rightly, wrongly, and how
 * many browsers the wrong ones touch.
 */
export function acceptTable(cases: FitCase[], model: Record<LinkFeature, number>, ts: number[]) {
  const rows = ts.map((t) => ({ t, right: 0, wrong: 0, browsers: new Set<number>() }))
  for (const c of cases) {
    if (!c.decidedNew || c.features.length === 0) continue
    const s = c.features.map((f) => LINK_FEATURES.reduce((a, k) => a + (f[k] ?? 0) * model[k], 0))
    const max = Math.max(0, ...s)
    const e = s.map((x) => Math.exp(x - max))
    const z = Math.exp(-max) + e.reduce((a, b) => a + b, 0)
    let best = 0
    for (let i = 1; i < e.length; i++) if (e[i]! > e[best]!) best = i
    const f = c.features[best]!
    if (f.exact !== 1 || f.logExactHolders !== 0) continue
    const p = e[best]! / z
    for (const r of rows)
      if (p >= r.t) {
        if (best === c.right) r.right++
        else {
          r.wrong++
          r.browsers.add(c.browser)
        }
      }
  }
  return rows.map((r) => ({ t: r.t, right: r.right, wrong: r.wrong, browsersWronglyLinked: r.browsers.size }))
}

/**
 * Of the storage-less visits answered with a new visitor where no candidate was the browser: the share
 * whose browser had never been seen, with candidates and without any. What "none of the candidates"
 * is worth as the probability that a new visitor is new.
 */
export function newIsNew(cases: FitCase[]) {
  const w = { n: 0, fresh: 0 }
  const wo = { n: 0, fresh: 0 }
  for (const c of cases) {
    if (!c.decidedNew || c.right >= 0) continue
    const x = c.features.length ? w : wo
    x.n++
    if (!c.seenBefore) x.fresh++
  }
  return {
    withCandidates: w.fresh / Math.max(1, w.n),
    n: w.n,
    withoutCandidates: wo.fresh / Math.max(1, wo.n),
    n0: wo.n,
  }
}
