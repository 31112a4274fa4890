// Sightline's real engine (packages/server/src/identify) behind the accuracy harness's Identifier
// interface: the same pure decision functions the server runs, over an in-memory mirror of the
// store's candidate indexes (store/identity.ts), so the benchmark runs offline and fast.
import { STABLE_COMPONENTS } from '../../packages/agent/src/stable.js'
import { parseVisitorDetails } from '../../packages/server/src/enrich/user-agent.js'
import { type Candidate, decide } from '../../packages/server/src/identify/engine.js'
import { computeFingerprint } from '../../packages/server/src/identify/fingerprint.js'
import { buildProfile, claimKey, type StoredProfile } from '../../packages/server/src/identify/profile.js'
import { trustStoredId } from '../../packages/server/src/identify/trust.js'
import { CLAIM_WINDOW_US } from '../../packages/server/src/store/identity.js'
import type { Identifier, SimVisit } from './types.js'

const DAY_US = 86_400_000_000
const PER_PART = 8
const EXACT_LIMIT = 10

/**
 * visitor → last seen, read newest first with a limit, as the store's (key, last_seen) indexes are.
 * Visits arrive in time order, so a per-key append log read backwards is in recency order; stale
 * entries (a visitor touched again later) are skipped, and the log is compacted when it grows.
 */
class RecencyIndex {
  private readonly last = new Map<string, Map<string, number>>()
  private readonly log = new Map<string, { visitor: string; ts: number }[]>()
  touch(key: string, visitor: string, ts: number) {
    const seen = this.last.get(key) ?? new Map<string, number>()
    seen.set(visitor, ts)
    this.last.set(key, seen)
    const log = this.log.get(key) ?? []
    log.push({ visitor, ts })
    if (log.length > 64 && log.length > 4 * seen.size) {
      this.log.set(
        key,
        log.filter((e) => seen.get(e.visitor) === e.ts),
      )
    } else this.log.set(key, log)
  }
  recent(key: string, limit: number): string[] {
    const log = this.log.get(key)
    const seen = this.last.get(key)
    if (!log || !seen) return []
    const out: string[] = []
    for (let i = log.length - 1; i >= 0 && out.length < limit; i--) {
      const e = log[i]!
      if (seen.get(e.visitor) === e.ts) out.push(e.visitor)
    }
    return out
  }
}

export function createEngineIdentifier(name = 'sightline'): Identifier {
  const profiles = new Map<string, StoredProfile>()
  const exact = new RecencyIndex()
  const parts = new RecencyIndex()
  const claims = new Map<string, { visitorId: string; ts: number }>()
  let next = 0

  const candidates = (ids: string[]): Candidate[] =>
    ids.map((visitorId) => ({ visitorId, profile: profiles.get(visitorId) ?? null }))

  return {
    name,
    // No size(): latency at 100k and 1M stored visits is measured on the real databases by
    // `npm run bench:scale`; an in-memory mirror of a million profiles would measure the mirror.
    identify(visit: Omit<SimVisit, 'truth' | 'events'>, storedId: string | null) {
      const ts = visit.t * 1000
      const fingerprint = computeFingerprint(visit.components, STABLE_COMPONENTS)
      const uaComponent = visit.components.userAgent
      const ua =
        uaComponent && 'value' in uaComponent && typeof uaComponent.value === 'string'
          ? uaComponent.value
          : null
      const hints = visit.components.uaHints
      const details = parseVisitorDetails(ua, hints && 'value' in hints ? (hints.value as never) : null)
      const profile = buildProfile({
        components: visit.components,
        stableNames: STABLE_COMPONENTS,
        fingerprint,
        browser: details.browserName,
        majorVersion: details.browserMajorVersion,
        os: details.os,
        ip: visit.ip,
        asn: visit.asn,
        country: visit.country,
        ts,
      })
      // The simulated browser keeps the visitorId itself as its identifier: signatures don't matter here.
      const issuedTo = storedId === null ? undefined : profiles.get(storedId)
      const token = trustStoredId(
        storedId === null
          ? ({ status: 'absent' } as const)
          : ({ status: 'valid', visitorId: storedId, issuedAt: 0 } as const),
        issuedTo,
        profile,
      )
      const evidence = {
        token,
        tokenProfile: token.status === 'valid' ? issuedTo : undefined,
        current: profile,
        exact: candidates(exact.recent(fingerprint, EXACT_LIMIT)),
        similar: [] as Candidate[],
      }
      if (evidence.tokenProfile === undefined) {
        evidence.similar = candidates([
          ...new Set(profile.parts.flatMap((h, i) => parts.recent(`${i}:${h}`, PER_PART))),
        ])
      }
      const decision = decide(evidence)
      let visitorId = decision.visitorId
      if (visitorId === null) {
        const claim = claimKey(fingerprint, visit.ip)
        const held = claims.get(claim)
        visitorId = held && ts - held.ts < CLAIM_WINDOW_US ? held.visitorId : `v${next++}`
        if (visitorId !== held?.visitorId) claims.set(claim, { visitorId, ts })
      }
      const previous = profiles.get(visitorId)
      profiles.set(visitorId, profile)
      const fresh = previous !== undefined && ts - previous.seenAt < DAY_US
      if (!fresh || previous.fingerprint !== fingerprint) exact.touch(fingerprint, visitorId, ts)
      profile.parts.forEach((h, i) => {
        if (!fresh || previous.parts[i] !== h) parts.touch(`${i}:${h}`, visitorId, ts)
      })
      return { visitorId, storedId: visitorId }
    },
  }
}
