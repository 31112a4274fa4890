import { type Comparison, compare } from './compare.js'
import type { Profile } from './profile.js'
import type { TokenCheck } from './token.js'

export type MatchPath = 'storedId' | 'fingerprint' | 'fuzzy' | 'new'

export interface Candidate {
  visitorId: string
  /** null when the visitor has no profile yet (a visit from before profiles were kept). */
  profile: Profile | null
}

export interface Evidence {
  token: TokenCheck
  /** The stored identifier's visitor: its profile, null without one, undefined when unknown in this app. */
  tokenProfile: Profile | null | undefined
  current: Profile
  /** Visitors seen with this exact fingerprint, most recent first (profiles carry their part hashes). */
  exact: Candidate[]
  /** Visitors sharing part of the fingerprint (see PART_GROUPS), most recent first. */
  similar: Candidate[]
}

export interface Decision {
  /** null: a new visitor must be created. */
  visitorId: string | null
  visitorFound: boolean
  confidence: number
  path: MatchPath
  /** Why, in plain words, in the order the evidence was weighed. */
  reasons: string[]
  /** The comparison behind a fuzzy match (or a vetoed exact one). */
  comparison?: Comparison & { visitorId: string }
}

/** Fuzzy matches at or above this score are the same browser. Tuned with `npm run bench:accuracy`. */
export const FUZZY_THRESHOLD = 0.82
/** A fuzzy winner must beat the runner-up by this much, or the match is too ambiguous to make. */
export const FUZZY_MARGIN = 0.04

const round = (x: number) => Math.round(x * 1000) / 1000
/**
 * Without a stored identifier, a fingerprint (exact or fuzzy) is only matched from the same IP
 * address: most devices share their exact fingerprint with others (Gómez-Boix et al. 2018), the
 * first collision cannot be told from the same browser moving, and a wrong match would stick through
 * storage from then on. Tuned with `npm run bench:accuracy` (docs/accuracy.md).
 */
export const MIN_PROXIMITY = 3

function proximity(a: Profile, b: Profile): number {
  if (a.network.ip === b.network.ip) return 3
  if (a.network.prefix === b.network.prefix) return 2
  if (a.network.asn !== null && a.network.asn === b.network.asn) return 1
  if (a.network.country !== null && a.network.country === b.network.country) return 0.5
  return 0
}

/**
 * Order of evidence: a valid stored identifier; the exact fingerprint (tie-broken by network when
 * several visitors share it); a fuzzy match that follows how browsers evolve; else a new visitor.
 */
export function decide(e: Evidence): Decision {
  const reasons: string[] = []
  const cur = e.current

  if (e.token.status === 'valid' && e.tokenProfile !== undefined) {
    reasons.push('valid stored identifier')
    const c = e.tokenProfile ? compare(e.tokenProfile, cur) : null
    if (c?.veto) reasons.push(`but this browser does not look like the one it was issued to: ${c.veto}`)
    return {
      visitorId: e.token.visitorId,
      visitorFound: true,
      confidence: c?.veto ? 0.9 : 1,
      path: 'storedId',
      reasons,
    }
  }
  if (e.token.status === 'valid') reasons.push('stored identifier names an unknown visitor')
  else if (e.token.status === 'invalid')
    reasons.push('stored identifier failed verification (tampered or foreign): ignored')
  else if (e.token.status === 'expired') reasons.push('stored identifier expired: ignored')
  else if (e.token.status === 'untrusted')
    reasons.push(`stored identifier presented by a browser it was not issued to (${e.token.why}): ignored`)
  else reasons.push('no stored identifier')

  const exact = e.exact.filter((c) => !(c.profile && compare(c.profile, cur).veto))
  if (exact.length < e.exact.length)
    reasons.push('exact fingerprint seen with a browser that cannot be this one')
  const near1 = exact.length === 1 && exact[0]!.profile ? proximity(exact[0]!.profile, cur) : 0
  if (exact.length === 1 && near1 < MIN_PROXIMITY) {
    reasons.push('exact fingerprint seen with one visitor from another address: may be an identical device')
  } else if (exact.length === 1) {
    reasons.push('exact fingerprint match')
    const near = near1
    return {
      visitorId: exact[0]!.visitorId,
      visitorFound: true,
      confidence: near >= 1 ? 0.97 : 0.93,
      path: 'fingerprint',
      reasons,
    }
  }
  if (exact.length > 1) {
    // Identical devices exist (same phone model, same corporate image): only the network tells them apart.
    const ranked = exact
      .map((c) => ({ c, near: c.profile ? proximity(c.profile, cur) : 0 }))
      .sort((a, b) => b.near - a.near)
    const [best, second] = ranked
    if (best && best.near >= MIN_PROXIMITY && best.near > (second?.near ?? -1)) {
      reasons.push(`exact fingerprint shared by ${exact.length} visitors: the one at the same address`)
      return {
        visitorId: best.c.visitorId,
        visitorFound: true,
        confidence: 0.85,
        path: 'fingerprint',
        reasons,
      }
    }
    reasons.push(`exact fingerprint shared by ${exact.length} visitors, none at this address: too ambiguous`)
  }

  const seen = new Set(e.exact.map((c) => c.visitorId))
  const scored: (Comparison & { visitorId: string })[] = []
  for (const c of e.similar) {
    if (seen.has(c.visitorId) || !c.profile) continue
    seen.add(c.visitorId)
    const r = compare(c.profile, cur)
    if (!r.veto && proximity(c.profile, cur) >= MIN_PROXIMITY) scored.push({ ...r, visitorId: c.visitorId })
  }
  scored.sort((a, b) => b.score - a.score)
  const [best, second] = scored
  if (best && best.score >= FUZZY_THRESHOLD) {
    const margin = best.score - (second?.score ?? 0)
    const changed = best.differed.map((d) => `${d.component} (${d.why})`).join(', ')
    if (margin >= FUZZY_MARGIN) {
      reasons.push(`fuzzy match, score ${round(best.score)}: changed ${changed || 'nothing stable'}`)
      return {
        visitorId: best.visitorId,
        visitorFound: true,
        confidence: round(Math.min(0.9, best.score) * Math.min(1, 0.5 + margin * 5)),
        path: 'fuzzy',
        reasons,
        comparison: best,
      }
    }
    reasons.push(`fuzzy candidates too close to call (${round(best.score)} vs ${round(second!.score)})`)
  } else if (best) {
    reasons.push(`closest fuzzy candidate scored ${round(best.score)}, under ${FUZZY_THRESHOLD}`)
  }
  reasons.push('new visitor')
  return { visitorId: null, visitorFound: false, confidence: scored.length ? 0.8 : 0.9, path: 'new', reasons }
}
