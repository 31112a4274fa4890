import type { Candidate } from './engine.js'
import { FREQUENCY_MAX_KEYS } from './frequency.js'
import {
  CLAIM_WINDOW_US,
  DAY_US,
  EXACT_LIMIT,
  type IdentityStore,
  PER_PART,
  type ValueCounts,
} from './port.js'
import type { Profile, StoredProfile } from './profile.js'

// The storage port in memory, for tests and bench:accuracy. Same reads as store/identity.ts: indexes
// read newest first with the same limits, rewritten under the same conditions.

/**
 * visitor → last seen per key, read newest first with a limit. Writes arrive in time order, so a
 * per-key append log read backwards is in recency order; stale entries (a visitor touched again
 * later) are skipped, and the log is compacted when it grows.
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

/** One app's state. */
class AppState {
  readonly profiles = new Map<string, StoredProfile | null>()
  readonly exact = new RecencyIndex()
  readonly parts = new RecencyIndex()
  readonly claims = new Map<string, { visitorId: string; ts: number }>()
  readonly counts = new Map<string, number>()
  visitors = 0
}

/** Keeps the FREQUENCY_MAX_KEYS most frequent keys (ties: the ones already kept first). */
export function pruneCounts(counts: Map<string, number>, max = FREQUENCY_MAX_KEYS) {
  if (counts.size <= max) return
  const kept = [...counts].sort((a, b) => b[1] - a[1]).slice(0, Math.floor(max * 0.9))
  counts.clear()
  for (const [k, n] of kept) counts.set(k, n)
}

export class MemoryIdentityStore implements IdentityStore {
  private readonly apps = new Map<string, AppState>()
  private app(appId: string): AppState {
    const a = this.apps.get(appId) ?? new AppState()
    this.apps.set(appId, a)
    return a
  }
  private candidates(a: AppState, ids: string[]): Candidate[] {
    return ids.map((visitorId) => ({ visitorId, profile: a.profiles.get(visitorId) ?? null }))
  }

  async loadProfile(appId: string, visitorId: string) {
    return this.app(appId).profiles.get(visitorId)
  }
  async exactCandidates(appId: string, fingerprint: string) {
    const a = this.app(appId)
    return this.candidates(a, a.exact.recent(fingerprint, EXACT_LIMIT))
  }
  async similarCandidates(appId: string, parts: string[]) {
    const a = this.app(appId)
    return this.candidates(a, [...new Set(parts.flatMap((h, i) => a.parts.recent(`${i}:${h}`, PER_PART)))])
  }
  async valueCounts(appId: string, keys: string[]): Promise<ValueCounts> {
    const a = this.app(appId)
    const counts = new Map<string, number>()
    for (const k of keys) {
      const n = a.counts.get(k)
      if (n !== undefined) counts.set(k, n)
    }
    return { visitors: a.visitors, counts }
  }
  async lockVisitor(appId: string, visitorId: string) {
    return this.app(appId).profiles.has(visitorId)
  }
  async claim(appId: string, claim: string, visitorId: string, ts: number) {
    const a = this.app(appId)
    const held = a.claims.get(claim)
    if (held && held.ts >= ts - CLAIM_WINDOW_US) return held.visitorId
    a.claims.set(claim, { visitorId, ts })
    return visitorId
  }
  async remember(
    appId: string,
    visitorId: string,
    profile: StoredProfile,
    previous: (Profile & Partial<StoredProfile>) | null | undefined,
    ts: number,
  ) {
    const a = this.app(appId)
    a.profiles.set(visitorId, profile)
    const fresh = previous && ts - previous.seenAt < DAY_US
    if (!fresh || previous.fingerprint !== profile.fingerprint)
      a.exact.touch(profile.fingerprint, visitorId, ts)
    profile.parts.forEach((h, i) => {
      if (!fresh || previous.parts?.[i] !== h) a.parts.touch(`${i}:${h}`, visitorId, ts)
    })
  }
  async countValues(appId: string, keys: string[], newVisitor: boolean) {
    const a = this.app(appId)
    if (newVisitor) a.visitors++
    for (const k of keys) a.counts.set(k, (a.counts.get(k) ?? 0) + 1)
    pruneCounts(a.counts)
  }
  /** Keys in the app's frequency table. */
  frequencyKeys(appId: string): number {
    return this.app(appId).counts.size
  }
}
