import { STABLE_COMPONENTS } from '@sightline/agent/stable'
import { compare } from './compare.js'
import { type Candidate, type Decision, decide } from './engine.js'
import { type Components, computeFingerprint } from './fingerprint.js'
import { COUNTER_KEYS, newKeys, profileKeys, RECOGNISED_KEY, STORAGELESS_KEY } from './frequency.js'
import {
  LINK_MODELS,
  type LinkFeature,
  type LinkModels,
  matchProbability,
  type NewContext,
  type ProbableLink,
  probableLinks,
  type ScoredCandidate,
} from './links.js'
import type { IdentityReads, IdentityStore } from './port.js'
import { buildProfile, claimKey, type Profile, type StoredProfile } from './profile.js'
import type { TokenCheck } from './token.js'
import { trustStoredId } from './trust.js'

/**
 * A storage-less visit whose exact fingerprint one earlier visitor showed, from another network, joins
 * that visitor when the link model gives it at least this probability: what the engine cannot
 * match by rule (an identical device may be behind it) it matches when the app's own frequencies say
 * the fingerprint is rare enough. On the six tuning populations (`--fit` prints the table), such links
 * at ≥ 0.9 were wrong 64 times in 502, at ≥ 0.95 8 in 117, at ≥ 0.97 once in 63: a wrong link merges two
 * browsers for good, so only the last is safe enough.
 */
export const LINK_ACCEPT = 0.97

/** What the server knows of a visit before identifying it (enrichment done: ASN and country of its IP). */
export interface VisitFacts {
  appId: string
  components: Components
  token: TokenCheck
  ip: string
  asn: number | null
  country: string | null
  browser: string | null
  majorVersion: string | null
  os: string | null
  /** Microseconds since the epoch. */
  ts: number
}

export interface Assessment {
  /** The stored identifier as judged: `untrusted` when the browser presenting it cannot be its own. */
  token: TokenCheck
  fingerprint: string
  profile: StoredProfile
  decision: Decision
  /** The profile of the visitor the decision names, as read. */
  previous: Profile | null | undefined
  /** Without a valid stored identifier: the probable earlier visitors (MAX_LINKS at most). */
  links: ProbableLink[]
  /** Probability that the answer names this browser's visitor (see answerConfidence). */
  confidence: number
  /** Every candidate the links were chosen from, with the model's features (for bench:accuracy's fit). */
  scored: { visitorId: string; features: Record<LinkFeature, number> }[]
  /** Without a valid stored identifier: what the new-visitor probability used besides the candidates. */
  context: NewContext | null
}

/**
 * `confidence.score`: the probability that the answer names the right visitor. A valid stored
 * identifier is trusted (engine.ts decides when it is); a fingerprint or fuzzy match is as probable
 * as its link says once the engine chose it (links.ts MATCH_MODEL); a new visitor, as probable as
 * the browser being new to the app (NEW_MODEL).
 */
const round = (x: number) => Math.round(x * 1000) / 1000

function answerConfidence(
  d: Decision,
  probabilities: Map<string, number>,
  fresh: number,
  models: LinkModels,
): number {
  if (d.path === 'storedId') return d.confidence
  if (d.visitorId === null) return round(fresh)
  const p = probabilities.get(d.visitorId)
  return p === undefined ? d.confidence : round(matchProbability(p, models))
}

/** Reads through the port and decides; no writes. The server and bench:accuracy both call this. */
export async function assess(
  store: IdentityReads,
  f: VisitFacts,
  models: LinkModels = LINK_MODELS,
  accept = LINK_ACCEPT,
): Promise<Assessment> {
  const fingerprint = computeFingerprint(f.components, STABLE_COMPONENTS)
  const profile = buildProfile({
    components: f.components,
    stableNames: STABLE_COMPONENTS,
    fingerprint,
    browser: f.browser,
    majorVersion: f.majorVersion,
    os: f.os,
    ip: f.ip,
    asn: f.asn,
    country: f.country,
    ts: f.ts,
  })
  const verified = f.token
  const [issuedTo, exact] = await Promise.all([
    verified.status === 'valid' ? store.loadProfile(f.appId, verified.visitorId) : Promise.resolve(undefined),
    store.exactCandidates(f.appId, fingerprint),
  ])
  // A valid identifier presented by a browser that cannot be the one it was issued to is not trusted.
  const token = trustStoredId(verified, issuedTo, profile)
  const tokenProfile = token.status === 'valid' ? issuedTo : undefined
  const evidence = { token, tokenProfile, current: profile, exact, similar: [] as Candidate[] }
  const trusted = token.status === 'valid' && tokenProfile !== undefined
  // Without a stored identifier, who else renders alike decides how far a fingerprint match may reach.
  const [similar, counts] = trusted
    ? [[], null]
    : await Promise.all([
        store.similarCandidates(f.appId, profile.parts),
        store.valueCounts(f.appId, [...profileKeys(profile), ...COUNTER_KEYS]),
      ])
  evidence.similar = similar
  let decision = decide(evidence)
  let previous =
    decision.visitorId === null
      ? null
      : trusted && decision.visitorId === token.visitorId
        ? tokenProfile
        : [...exact, ...similar].find((c) => c.visitorId === decision.visitorId)?.profile
  let links: ProbableLink[] = []
  let fresh = 1
  let probabilities = new Map<string, number>()
  let features: Assessment['scored'] = []
  let context: NewContext | null = null
  if (decision.path !== 'storedId' && counts) {
    const scored: ScoredCandidate[] = []
    const seen = new Set<string>()
    const exactIds = new Set(exact.map((c) => c.visitorId))
    for (const c of [...exact, ...similar]) {
      if (seen.has(c.visitorId) || !c.profile) continue
      seen.add(c.visitorId)
      const comparison = compare(c.profile, profile)
      if (comparison.veto) continue
      scored.push({
        visitorId: c.visitorId,
        profile: c.profile,
        comparison,
        exact: exactIds.has(c.visitorId),
      })
    }
    ;({ links, fresh, probabilities, features, context } = probableLinks(
      scored,
      profile,
      counts,
      exact.length,
      models,
    ))
    const best = links[0]
    const only = exact.length === 1 ? exact[0] : undefined
    if (
      decision.visitorId === null &&
      best &&
      only?.visitorId === best.visitorId &&
      best.probability >= accept
    ) {
      decision = {
        visitorId: best.visitorId,
        visitorFound: true,
        confidence: best.probability,
        path: 'fingerprint',
        reasons: [
          ...decision.reasons.filter((r) => r !== 'new visitor'),
          `exact fingerprint of one visitor, rare in this app: linked at probability ${best.probability}`,
        ],
      }
      previous = only.profile
    }
  }
  return {
    token,
    fingerprint,
    profile,
    decision,
    previous,
    links,
    confidence: answerConfidence(decision, probabilities, fresh, models),
    scored: features,
    context,
  }
}

export interface Settled {
  visitorId: string
  /** Another request of the same browser created the visitor a moment earlier: joined it. */
  joined: boolean
  /** The matched visitor was deleted meanwhile: a new visitor instead. */
  restarted: boolean
}

/**
 * The writes of one identification, inside its transaction: the visitor (new, joined or matched), its
 * profile and candidate indexes, and the app's frequency table.
 */
export async function settle(
  store: IdentityStore,
  appId: string,
  a: Assessment,
  newId: () => string,
  ts: number,
): Promise<Settled> {
  const { decision, profile } = a
  let fresh = decision.visitorId ?? newId()
  let prev = a.previous
  // A privacy deletion may have removed the matched visitor since the decision: never bring its id back.
  const restarted = decision.visitorId !== null && !(await store.lockVisitor(appId, decision.visitorId))
  if (restarted) {
    fresh = newId()
    prev = null
  }
  let id = fresh
  if (decision.visitorId === null || restarted) {
    // Another request of the same browser may have created the visitor a moment ago.
    id = await store.claim(appId, claimKey(a.fingerprint, profile.network.ip), fresh, ts)
    if (id !== fresh) prev = await store.loadProfile(appId, id)
  }
  const joined = id !== fresh
  await store.remember(appId, id, profile, prev, ts)
  const keys = prev ? changedKeys(profile, prev) : profileKeys(profile)
  // The app's base rate (frequency.ts): storage-less visits, and those that found an earlier visitor.
  if (a.context) keys.push(STORAGELESS_KEY, ...(prev ? [RECOGNISED_KEY] : []))
  if (keys.length) await store.countValues(appId, keys, !prev, ts)
  return { visitorId: id, joined, restarted: restarted && !joined }
}

function changedKeys(cur: StoredProfile, prev: Profile & Partial<StoredProfile>): string[] {
  return prev.fingerprint === cur.fingerprint ? [] : newKeys(cur, prev)
}
