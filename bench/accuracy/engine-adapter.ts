// Sightline's real engine (packages/server/src/identify) behind the accuracy harness's Identifier
// interface: the same pure decision functions the server runs, over an in-memory mirror of the
// store's candidate indexes (store/identity.ts), so the benchmark runs offline and fast.
import { STABLE_COMPONENTS } from '../../packages/agent/src/stable.js'
import { parseVisitorDetails } from '../../packages/server/src/enrich/user-agent.js'
import { type Candidate, decide } from '../../packages/server/src/identify/engine.js'
import { computeFingerprint } from '../../packages/server/src/identify/fingerprint.js'
import { buildProfile, type StoredProfile } from '../../packages/server/src/identify/profile.js'
import type { Identifier, SimVisit } from './types.js'

const DAY_US = 86_400_000_000
const PER_PART = 8
const EXACT_LIMIT = 10

/** visitor → last seen (µs), newest-first on read, as the store's indexes are queried. */
class RecencyIndex {
  private readonly map = new Map<string, Map<string, number>>()
  touch(key: string, visitor: string, ts: number) {
    const m = this.map.get(key) ?? new Map<string, number>()
    m.set(visitor, ts)
    this.map.set(key, m)
  }
  recent(key: string, limit: number): string[] {
    const m = this.map.get(key)
    if (!m) return []
    return [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, limit)
      .map(([v]) => v)
  }
}

export function createEngineIdentifier(name = 'sightline'): Identifier {
  const profiles = new Map<string, StoredProfile>()
  const exact = new RecencyIndex()
  const parts = new RecencyIndex()
  const claims = new Map<string, string>()
  let visits = 0
  let next = 0

  const candidates = (ids: string[]): Candidate[] =>
    ids.map((visitorId) => ({ visitorId, profile: profiles.get(visitorId) ?? null }))

  return {
    name,
    size: () => visits,
    identify(visit: Omit<SimVisit, 'truth' | 'events'>, storedId: string | null) {
      visits++
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
      const token =
        storedId === null
          ? ({ status: 'absent' } as const)
          : ({ status: 'valid', visitorId: storedId, issuedAt: 0 } as const)
      const evidence = {
        token,
        tokenProfile: storedId === null ? undefined : profiles.get(storedId),
        current: profile,
        exact: candidates(exact.recent(fingerprint, EXACT_LIMIT)),
        similar: [] as Candidate[],
      }
      let decision = decide(evidence)
      if (decision.path === 'new') {
        evidence.similar = candidates([
          ...new Set(profile.parts.flatMap((h, i) => parts.recent(`${i}:${h}`, PER_PART))),
        ])
        if (evidence.similar.length > 0) decision = decide(evidence)
      }
      let visitorId = decision.visitorId
      if (visitorId === null) {
        const claim = `${fingerprint}|${profile.network.prefix}`
        visitorId = claims.get(claim) ?? `v${next++}`
        claims.set(claim, visitorId)
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
