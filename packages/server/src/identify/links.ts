import type { Candidate } from '../schemas/stored.js'
import type { Comparison } from './compare.js'
import { valueKey } from './frequency.js'
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
 * device class (phones are far less unique than desktops).
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
] as const
export type LinkFeature = (typeof LINK_FEATURES)[number]

/**
 * Coefficients of the conditional logit below, fitted by
 * `npm run bench:accuracy -- --config bench/accuracy/small-config.json --seeds 1,2,3 --fit`
 * (18,106 storage-less visits with candidates); reported on seeds 11-15 (docs/accuracy.md).
 */
export const LINK_MODEL: Readonly<Record<LinkFeature, number>> = {
  bias: -4.427,
  exact: 2.247,
  similarity: -1.504,
  logAnonymity: -1.403,
  logExactHolders: -0.534,
  sameIp: 5.682,
  samePrefix: 1.688,
  sameAsn: 1.589,
  sameCountry: 0.484,
  zoneAndLanguagesKept: 1.329,
  logDays: 0.222,
  mobile: -0.795,
}

const isMobile = (p: Profile) => p.os === 'iOS' || p.os === 'Android'

/**
 * Visitors expected to show every value `c` matched, the candidate included: visitors × Π share of
 * each value (independence overstates uniqueness; the fitted coefficient absorbs part of that).
 */
export function anonymitySet(cur: Profile, matched: readonly string[], counts: ValueCounts): number {
  const n = Math.max(1, counts.visitors)
  let log = Math.log(n)
  for (const name of matched) {
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
  }
}

const dot = (f: Record<LinkFeature, number>, w: Readonly<Record<LinkFeature, number>>) =>
  LINK_FEATURES.reduce((s, k) => s + f[k] * w[k], 0)

/**
 * Conditional logit with a "none of them" option: at most one candidate is this browser, so
 * P(i) = e^{s_i} / (1 + Σ_j e^{s_j}) and 1 − Σ P(i) is the probability that none is.
 */
export function linkProbabilities(
  features: Record<LinkFeature, number>[],
  model: Readonly<Record<LinkFeature, number>> = LINK_MODEL,
): number[] {
  const s = features.map((f) => dot(f, model))
  const max = Math.max(0, ...s)
  const e = s.map((x) => Math.exp(x - max))
  const z = Math.exp(-max) + e.reduce((a, b) => a + b, 0)
  return e.map((x) => x / z)
}

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

/** Up to MAX_LINKS candidates with their probabilities, most probable first; and P(none of them). */
export function probableLinks(
  scored: ScoredCandidate[],
  cur: Profile,
  counts: ValueCounts,
  exactHolders: number,
  model: Readonly<Record<LinkFeature, number>> = LINK_MODEL,
): {
  links: ProbableLink[]
  none: number
  features: { visitorId: string; features: Record<LinkFeature, number> }[]
} {
  if (scored.length === 0) return { links: [], none: 1, features: [] }
  const feats = scored.map((c) => linkFeatures(c, cur, counts, exactHolders))
  const p = linkProbabilities(feats, model)
  const order = p.map((_, i) => i).sort((a, b) => p[b]! - p[a]!)
  const none = 1 - p.reduce((a, b) => a + b, 0)
  const links = order.slice(0, MAX_LINKS).map((i) => ({
    visitorId: scored[i]!.visitorId,
    probability: Math.round(p[i]! * 1000) / 1000,
    reasons: reasonsOf(scored[i]!, feats[i]!, exactHolders),
  }))
  return { links, none, features: scored.map((c, i) => ({ visitorId: c.visitorId, features: feats[i]! })) }
}
