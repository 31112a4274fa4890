import type { Candidate } from './engine.js'
import type { Profile, StoredProfile } from './profile.js'

/** Candidates read per exact fingerprint, and per part hash (most recent first). */
export const EXACT_LIMIT = 10
export const PER_PART = 8
/** How long a new visitor's claim makes racing first visits of the same browser join it. */
export const CLAIM_WINDOW_US = 60_000_000
/** Index rows are rewritten when their recency is older than this. */
export const DAY_US = 86_400_000_000

/**
 * How often the app's visitors showed each component value (see identify/frequency.ts): what an
 * anonymity-set estimate is made of. `visitors` counts every visitor the table has seen.
 */
export interface ValueCounts {
  visitors: number
  /** key (valueKey()) → visitors that showed that value; absent keys were never seen or were pruned. */
  counts: Map<string, number>
}

/** What identification reads. */
export interface IdentityReads {
  /** A visitor's profile; null when it has none; undefined when there is no such visitor in the app. */
  loadProfile(appId: string, visitorId: string): Promise<StoredProfile | null | undefined>
  /** Visitors seen with this exact fingerprint, most recent first (at most 10). */
  exactCandidates(appId: string, fingerprint: string): Promise<Candidate[]>
  /** Visitors sharing any part hash (PART_GROUPS), the most recent few per part. */
  similarCandidates(appId: string, parts: string[]): Promise<Candidate[]>
  /** The app's frequency table, for these keys only. */
  valueCounts(appId: string, keys: string[]): Promise<ValueCounts>
}

/** What identification writes, inside the visit's transaction. */
export interface IdentityWrites {
  /** Whether the visitor still exists, holding it until the transaction ends. */
  lockVisitor(appId: string, visitorId: string): Promise<boolean>
  /** Claims (fingerprint, address) for a new visitor; returns the visitor that holds it (see store/identity.ts). */
  claim(appId: string, claim: string, visitorId: string, ts: number): Promise<string>
  /** Records the visit in the profile and the candidate indexes. */
  remember(
    appId: string,
    visitorId: string,
    profile: StoredProfile,
    previous: (Profile & Partial<StoredProfile>) | null | undefined,
    ts: number,
  ): Promise<void>
  /** Adds one visitor to each key's count (`newVisitor`: also to the app's visitor total). */
  countValues(appId: string, keys: string[], newVisitor: boolean, ts: number): Promise<void>
}

/** The storage port: store/ implements it with Kysely, identify/memory-store.ts in memory. */
export interface IdentityStore extends IdentityReads, IdentityWrites {}
