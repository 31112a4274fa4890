import type { Candidate } from '../schemas/stored.js'
import type { Comparison } from './compare.js'
import { RARITY } from './components.js'
import { recognisedLogOdds, valueKey } from './frequency.js'
import type { ValueCounts } from './port.js'
import type { Profile } from './profile.js'

/** A probable earlier visitor of a visit that came without a valid stored identifier (stored as is). */
export type ProbableLink = Candidate

/** How many probable links a visit records. */
export const MAX_LINKS = 3

/**
 * What the probability of a link is computed from. An anonymity-set estimate (Eckersley 2010;
 * Gómez-Boix et al. 2018): the app's visitors expected to share the matched values, from the app's own
 * frequencies; the network; coherence of country, time zone and languages; time since last seen; the
 * device class (phones are far less unique than desktops); how many candidates compete; and the app's
 * own base rate (the log-odds that a storage-less visit of this app is recognised, see frequency.ts).
 */
export const LINK_FEATURES = [
  'bias',
  'exact',
  'similarity',
  'logAnonymity',
  'logExactHolders',
  'sameIp',
  'samePrefix',
  'sameAsn',
  'sameCountry',
  'zoneAndLanguagesKept',
  'logDays',
  'mobile',
  'logCandidates',
  'logRecognised',
] as const
export type LinkFeature = (typeof LINK_FEATURES)[number]

/**
 * A logistic model: a linear score of named features, then a linear spline of the score that
 * calibrates it: log-odds = c0 + c1·s + Σ_k c(k+2)·max(0, s − SCORE_KNOTS[k]).
 */
export interface LogisticModel<K extends string> {
  weights: Readonly<Record<K, number>>
  calibration: readonly number[]
}
export const SCORE_KNOTS = [-4, -2, 0, 2] as const

/**
 * Fitted by `npm run bench:accuracy -- --fit-from …` on six simulated populations of other seeds and
 * rates than the ones reported (docs/accuracy.md): every candidate of every storage-less visit, right
 * when its visitor was first given to this browser.
 */
export const LINK_MODEL: LogisticModel<LinkFeature> = {
  weights: {
    bias: -14.826,
    exact: 2.36,
    similarity: 11.797,
    logAnonymity: -2.897,
    logExactHolders: -1.079,
    sameIp: 8.638,
    samePrefix: 7.291,
    sameAsn: 3.271,
    sameCountry: -2.146,
    zoneAndLanguagesKept: 0.745,
    logDays: 0.809,
    mobile: 0.684,
    logCandidates: -0.507,
    logRecognised: 0.749,
  },
  calibration: [1.438, 1.213, -0.711, 0.602, -0.022, -0.538],
}

/** A phone or tablet: identical devices are common. */
export const isMobile = (p: Profile) => p.os === 'iOS' || p.os === 'Android'

/**
 * Visitors expected to show every value `c` matched, the candidate included: visitors × Π share of
 * each value (independence overstates uniqueness; the fitted coefficient absorbs part of that).
 */
export function anonymitySet(cur: Profile, matched: readonly string[], counts: ValueCounts): number {
  const n = Math.max(1, counts.visitors)
  let log = Math.log(n)
  for (const name of matched) {
    if (!RARITY.has(name)) continue
    const k = counts.counts.get(valueKey(name, cur.stable[name])) ?? 1
    log += Math.log(Math.min(n, Math.max(1, k)) / n)
  }
  return Math.max(1, Math.exp(log))
}

export interface ScoredCandidate {
  visitorId: string
  profile: Profile
  comparison: Comparison
  exact: boolean
}

export function linkFeatures(
  c: ScoredCandidate,
  cur: Profile,
  counts: ValueCounts,
  exactHolders: number,
  candidates = 1,
): Record<LinkFeature, number> {
  const a = c.profile.network
  const b = cur.network
  const matched = c.comparison.matched
  const days = Math.max(0, (cur.seenAt - c.profile.seenAt) / 86_400_000_000)
  return {
    bias: 1,
    exact: c.exact ? 1 : 0,
    similarity: c.comparison.similarity,
    logAnonymity: Math.log(anonymitySet(cur, matched, counts)),
    logExactHolders: c.exact ? Math.log(Math.max(1, exactHolders)) : 0,
    sameIp: a.ip === b.ip ? 1 : 0,
    samePrefix: a.ip !== b.ip && a.prefix === b.prefix ? 1 : 0,
    sameAsn: a.prefix !== b.prefix && a.asn !== null && a.asn === b.asn ? 1 : 0,
    sameCountry: a.country !== null && a.country === b.country ? 1 : 0,
    zoneAndLanguagesKept: matched.includes('intl') && matched.includes('languages') ? 1 : 0,
    logDays: Math.log1p(days),
    mobile: isMobile(cur) ? 1 : 0,
    logCandidates: Math.log(Math.max(1, candidates)),
    logRecognised: recognisedLogOdds(counts),
  }
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x))

export function modelProbability<K extends string>(
  keys: readonly K[],
  f: Record<K, number>,
  m: LogisticModel<K>,
): number {
  const s = keys.reduce((a, k) => a + f[k] * m.weights[k], 0)
  const c = m.calibration
  let x = (c[0] ?? 0) + (c[1] ?? 1) * s
  SCORE_KNOTS.forEach((k, i) => {
    x += (c[i + 2] ?? 0) * Math.max(0, s - k)
  })
  return sigmoid(x)
}

/**
 * Each candidate's own probability of being this browser: a browser the engine split over several
 * visitors makes several candidates right at once, so they do not compete for one share.
 */
export function linkProbabilities(
  features: Record<LinkFeature, number>[],
  model: LogisticModel<LinkFeature> = LINK_MODEL,
): number[] {
  return features.map((f) => modelProbability(LINK_FEATURES, f, model))
}

/**
 * What the probability that a storage-less browser is new to the app is computed from: its
 * candidates' link probabilities (all of them), the device class, and the app's base rate. Browsers
 * that came back unrecognised are why "none of the candidates" is not yet "new".
 */
export const NEW_FEATURES = [
  'bias',
  'logNone',
  'withCandidates',
  'logCandidates',
  'maxLink',
  'anyExact',
  'mobile',
  'logRecognised',
] as const
export type NewFeature = (typeof NEW_FEATURES)[number]

/** Fitted with LINK_MODEL, over the storage-less visits the strict engine answered as new. */
export const NEW_MODEL: LogisticModel<NewFeature> = {
  weights: {
    bias: 1.676,
    logNone: 0.117,
    withCandidates: -2.647,
    logCandidates: -0.116,
    maxLink: -1.328,
    anyExact: -0.935,
    mobile: -0.66,
    logRecognised: -1.087,
  },
  calibration: [0.122, 0.921, -0.038, -0.308, 0.729, 1.145],
}

/** What a new-visitor probability needs besides the candidates. */
export interface NewContext {
  mobile: boolean
  /** recognisedLogOdds() of the app. */
  logRecognised: number
}

/** `links`: every candidate's probability and whether its fingerprint is exactly this one. */
export function newFeatures(
  links: readonly { p: number; exact: boolean }[],
  ctx: NewContext,
): Record<NewFeature, number> {
  return {
    bias: 1,
    logNone: links.reduce((s, l) => s + Math.log(Math.max(1e-6, 1 - l.p)), 0),
    withCandidates: links.length ? 1 : 0,
    logCandidates: Math.log1p(links.length),
    maxLink: links.reduce((m, l) => Math.max(m, l.p), 0),
    anyExact: links.some((l) => l.exact) ? 1 : 0,
    mobile: ctx.mobile ? 1 : 0,
    logRecognised: ctx.logRecognised,
  }
}

export const newProbability = (f: Record<NewFeature, number>, model: LogisticModel<NewFeature> = NEW_MODEL) =>
  modelProbability(NEW_FEATURES, f, model)

/**
 * A match the engine made without a stored identifier (same address, fuzzy rules): as probable as its
 * link, recalibrated, because the engine's own rules chose it and that is evidence of its own.
 */
export const MATCH_FEATURES = ['bias', 'linkLogOdds'] as const
export type MatchFeature = (typeof MATCH_FEATURES)[number]

/** Fitted with LINK_MODEL, over the storage-less visits the strict engine matched to a candidate. */
export const MATCH_MODEL: LogisticModel<MatchFeature> = {
  weights: {
    bias: 5.589,
    linkLogOdds: -0.598,
  },
  calibration: [-0.054, 0.257, 0.041, 0.149, 0.257, 0.437],
}

export function matchFeatures(linkProbability: number): Record<MatchFeature, number> {
  const p = Math.min(1 - 1e-6, Math.max(1e-6, linkProbability))
  return { bias: 1, linkLogOdds: Math.log(p / (1 - p)) }
}

export interface LinkModels {
  link: LogisticModel<LinkFeature>
  fresh: LogisticModel<NewFeature>
  match: LogisticModel<MatchFeature>
}
export const LINK_MODELS: LinkModels = { link: LINK_MODEL, fresh: NEW_MODEL, match: MATCH_MODEL }

/** The probability that a match the engine made names this browser's visitor. */
export const matchProbability = (linkProbability: number, models: LinkModels = LINK_MODELS) =>
  modelProbability(MATCH_FEATURES, matchFeatures(linkProbability), models.match)

function reasonsOf(c: ScoredCandidate, f: Record<LinkFeature, number>, exactHolders: number): string[] {
  const r: string[] = []
  if (c.exact)
    r.push(exactHolders > 1 ? `same fingerprint, shown by ${exactHolders} visitors` : 'same fingerprint')
  else {
    const changed = c.comparison.differed.map((d) => d.component).join(', ')
    r.push(`similar fingerprint (${Math.round(c.comparison.similarity * 100)}%), changed ${changed}`)
  }
  const anon = Math.exp(f.logAnonymity)
  r.push(
    anon < 1.5
      ? 'matched values rare in this app'
      : `about ${Math.round(anon)} visitors of this app expected to match`,
  )
  if (f.sameIp) r.push('same IP address')
  else if (f.samePrefix) r.push('same network prefix')
  else if (f.sameAsn) r.push('same network operator')
  else r.push(f.sameCountry ? 'other network, same country' : 'other network and country')
  if (!f.zoneAndLanguagesKept) r.push('time zone or languages differ')
  const days = Math.expm1(f.logDays)
  r.push(days < 1 ? 'last seen today' : `last seen ${Math.round(days)} days before`)
  if (f.mobile) r.push('a phone or tablet: identical devices are common')
  return r
}

/**
 * Up to MAX_LINKS candidates with their probabilities, most probable first; and the probability that
 * the browser is new to the app.
 */
export function probableLinks(
  scored: ScoredCandidate[],
  cur: Profile,
  counts: ValueCounts,
  exactHolders: number,
  models: LinkModels = LINK_MODELS,
): {
  links: ProbableLink[]
  fresh: number
  /** Every candidate's link probability (the served ones are the MAX_LINKS best). */
  probabilities: Map<string, number>
  features: { visitorId: string; features: Record<LinkFeature, number> }[]
  context: NewContext
} {
  const feats = scored.map((c) => linkFeatures(c, cur, counts, exactHolders, scored.length))
  const p = linkProbabilities(feats, models.link)
  const ctx = { mobile: isMobile(cur), logRecognised: recognisedLogOdds(counts) }
  const fresh = newProbability(
    newFeatures(
      p.map((x, i) => ({ p: x, exact: scored[i]!.exact })),
      ctx,
    ),
    models.fresh,
  )
  const order = p.map((_, i) => i).sort((a, b) => p[b]! - p[a]!)
  const links = order.slice(0, MAX_LINKS).map((i) => ({
    visitorId: scored[i]!.visitorId,
    probability: Math.round(p[i]! * 1000) / 1000,
    reasons: reasonsOf(scored[i]!, feats[i]!, exactHolders),
  }))
  return {
    links,
    fresh,
    probabilities: new Map(scored.map((c, i) => [c.visitorId, p[i]!])),
    features: scored.map((c, i) => ({ visitorId: c.visitorId, features: feats[i]! })),
    context: ctx,
  }
}
