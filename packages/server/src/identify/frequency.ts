import { createHash } from 'node:crypto'
import { RARITY } from './components.js'
import { canonicalJson } from './fingerprint.js'
import type { ValueCounts } from './port.js'
import type { Profile } from './profile.js'

/**
 * The frequency table keeps, per app, how many visitors showed each value of each stable component.
 * It is bounded: past FREQUENCY_MAX_KEYS keys per app the rarest are pruned, and a value that is
 * absent from the table counts as seen by one visitor (rare), which is what a pruned value was.
 */
export const FREQUENCY_MAX_KEYS = 50_000

/** `<component>:<12 hex of the value's hash>`. */
export function valueKey(component: string, value: unknown): string {
  const h = createHash('sha256')
    .update(canonicalJson(value ?? null))
    .digest('hex')
    .slice(0, 12)
  return `${component}:${h}`
}

/** The keys of a profile's stable values whose rarity counts (identify/components.ts). */
export const profileKeys = (p: Profile): string[] =>
  Object.keys(p.stable)
    .filter((name) => RARITY.has(name))
    .map((name) => valueKey(name, p.stable[name]))

/** Keys of `cur` that `prev` did not show: what a returning visitor adds to the table. */
export function newKeys(cur: Profile, prev: Profile | null | undefined): string[] {
  const keys = profileKeys(cur)
  if (!prev) return keys
  const had = new Set(profileKeys(prev))
  return keys.filter((k) => !had.has(k))
}

/**
 * Answer counters kept in the same table: the app's visits that came without a valid stored
 * identifier, and those of them the engine matched to an earlier visitor. Their ratio is the app's
 * base rate, which the link models need: how often its browsers come back without storage differs
 * from site to site.
 */
export const STORAGELESS_KEY = '*storageless'
export const RECOGNISED_KEY = '*recognised'
export const COUNTER_KEYS = [STORAGELESS_KEY, RECOGNISED_KEY] as const

/** log((recognised + 1) / (unrecognised + 1)) of the app's storage-less visits. */
export function recognisedLogOdds(counts: ValueCounts): number {
  const all = counts.counts.get(STORAGELESS_KEY) ?? 0
  const recognised = Math.min(all, counts.counts.get(RECOGNISED_KEY) ?? 0)
  return Math.log((recognised + 1) / (all - recognised + 1))
}
