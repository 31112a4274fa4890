// Ceilings for what re-identification without storage can reach. Oracles see the ground truth, so
// they are bench-only: they say how much of what is possible a method gets.
import { STABLE_COMPONENTS } from '../../packages/agent/src/stable.js'
import { computeFingerprint } from '../../packages/server/src/identify/fingerprint.js'
import { partHashes, stableValues } from '../../packages/server/src/identify/profile.js'
import type { Identifier, SimVisit } from './types.js'

type Rule = 'uniqueSoFar' | 'perfect' | 'fuzzy' | 'omniscient'

/**
 * The stored identifier when the browser kept one; otherwise
 * - uniqueSoFar: this browser's last id when its exact fingerprint has so far been shown by it alone;
 * - perfect: this browser's last id when it showed this exact fingerprint before (twins or not);
 * - fuzzy: ... or a fingerprint that differs from this one in at most one of the four PART_GROUPS;
 * - omniscient: this browser's last id whenever it was seen before (no fingerprint needed).
 * Else a new id.
 */
export function oracle(rule: Rule, name: string): Identifier {
  const lastId = new Map<string, string>()
  const holders = new Map<string, Set<string>>()
  const partsSeen = new Map<string, string[][]>()
  let next = 0
  return {
    name,
    oracle: true,
    identify(visit, storedId) {
      const v = visit as SimVisit
      const b = v.truth.browser
      const fp = computeFingerprint(v.components, STABLE_COMPONENTS)
      const h = holders.get(fp) ?? new Set<string>()
      const parts = rule === 'fuzzy' ? partHashes(stableValues(v.components, STABLE_COMPONENTS)) : []
      const earlier = partsSeen.get(b) ?? []
      let id = storedId
      if (id === null) {
        const prev = lastId.get(b)
        const link =
          prev !== undefined &&
          (rule === 'omniscient' ||
            (rule === 'perfect' && h.has(b)) ||
            (rule === 'fuzzy' && earlier.some((e) => e.filter((x, i) => x === parts[i]).length >= 3)) ||
            (rule === 'uniqueSoFar' && h.has(b) && h.size === 1))
        id = link ? prev! : `${name}-${next++}`
      }
      h.add(b)
      holders.set(fp, h)
      if (rule === 'fuzzy' && !earlier.some((e) => e.every((x, i) => x === parts[i]))) {
        earlier.push(parts)
        partsSeen.set(b, earlier)
      }
      lastId.set(b, id)
      return { visitorId: id, storedId: id }
    },
  }
}

export const oracles = (): Identifier[] => [
  oracle('uniqueSoFar', 'oracle: unique so far'),
  oracle('perfect', 'oracle: perfect (exact)'),
  oracle('fuzzy', 'oracle: fuzzy (3 of 4 parts)'),
  oracle('omniscient', 'oracle: every return'),
]
