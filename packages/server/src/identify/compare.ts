import { GPU, HARDWARE, QUICK_CHANGE_VETO, STABLE_RULES } from './components.js'
import type { Profile } from './profile.js'

/** Why a candidate can't be the same browser, whatever else matches. */
export type Veto =
  | 'browser family changed'
  | 'browser version went down'
  | 'operating system changed'
  | 'GPU changed'
  | 'hardware changed'
  | 'changed within minutes: another device'

export interface Difference {
  component: string
  /** Share of this component's weight lost: 1 = counts fully against, 0 = explained away. */
  penalty: number
  why: string
}

export interface Comparison {
  veto: Veto | null
  /** 0..1 over the stable components, after evolution rules; network and time adjust it. */
  similarity: number
  score: number
  matched: string[]
  differed: Difference[]
}

/** How soon after a visit a change in these components means another device rather than evolution. */
export const RECENT_MINUTES = 30

// A profile is compared with many visits (and each visit with many candidates): serialise each
// stable value once per profile object.
const serialised = new WeakMap<Record<string, unknown>, Map<string, string>>()
function valueKey(stable: Record<string, unknown>, name: string): string {
  const m = serialised.get(stable) ?? new Map<string, string>()
  serialised.set(stable, m)
  const k = m.get(name) ?? JSON.stringify(stable[name] ?? null)
  m.set(name, k)
  return k
}
const obj = (v: unknown): Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {}

/** The GPU model without driver and API details: "ANGLE (NVIDIA, NVIDIA GeForce RTX 3060 (0x2504) Direct3D11 vs_5_0 ps_5_0, D3D11-31.0.15.5222)" → "nvidia geforce rtx 3060". */
export function gpuModel(webgl: unknown): string | null {
  const w = obj(webgl)
  const r = w.unmaskedRenderer ?? w.renderer
  if (typeof r !== 'string' || r === '') return null
  let s = r.slice(0, 256).toLowerCase()
  const angle = /^angle \((.*)\)$/.exec(s)
  if (angle?.[1]) {
    const parts = angle[1].split(', ')
    s = parts.length >= 2 ? parts[1]! : parts[0]!
  }
  const api = s.search(/\b(?:direct3d\d*|vs_\d_\d)\b/)
  return (api < 0 ? s : s.slice(0, api))
    .replace(/\(0x[0-9a-f]+\)/g, '')
    .replace(/\s+/g, ' ')
    .trim()
}

/**
 * How well `cur` continues `prev`: the evolution rules real browsers follow. Browser versions only
 * go up; each component's weight, veto and evolution rule (an update may change canvas, audio and
 * math; time zones change with travel; screens with external monitors; fonts get installed) are in
 * identify/components.ts. A changed GPU or hardware is another device.
 */
export function compare(prev: Profile, cur: Profile): Comparison {
  const matched: string[] = []
  const differed: Difference[] = []
  const fail = (veto: Veto): Comparison => ({ veto, similarity: 0, score: 0, matched, differed })

  if (prev.browser && cur.browser && prev.browser !== cur.browser) return fail('browser family changed')
  if (prev.os && cur.os && prev.os !== cur.os) return fail('operating system changed')
  if (prev.major !== null && cur.major !== null && cur.major < prev.major)
    return fail('browser version went down')
  const updated = prev.major !== null && cur.major !== null && cur.major > prev.major
  for (const name of HARDWARE) {
    if (
      valueKey(prev.stable, name) !== valueKey(cur.stable, name) &&
      prev.stable[name] != null &&
      cur.stable[name] != null
    ) {
      return fail('hardware changed')
    }
  }
  for (const name of GPU) {
    const gpuPrev = gpuModel(prev.stable[name])
    const gpuCur = gpuModel(cur.stable[name])
    if (gpuPrev && gpuCur && gpuPrev !== gpuCur) return fail('GPU changed')
  }

  let total = 0
  let lost = 0
  const travelled = prev.network.country !== cur.network.country
  const ctx = { prevStable: prev.stable, curStable: cur.stable, updated, travelled }
  for (const [name, { weight, evolution }] of STABLE_RULES) {
    total += weight
    if (valueKey(prev.stable, name) === valueKey(cur.stable, name)) {
      matched.push(name)
      continue
    }
    const { penalty, why } = evolution
      ? evolution(prev.stable[name], cur.stable[name], ctx)
      : { penalty: 1, why: 'changed' }
    lost += weight * penalty
    differed.push({ component: name, penalty, why })
  }
  // A screen, rendering or locale that changed minutes after the last visit is not the same browser
  // evolving (that takes days): it is another device next to it, e.g. an identical laptop.
  const minutes = (cur.seenAt - prev.seenAt) / 60_000_000
  if (minutes < RECENT_MINUTES && differed.some((d) => d.penalty > 0 && QUICK_CHANGE_VETO.has(d.component))) {
    return fail('changed within minutes: another device')
  }
  const similarity = 1 - lost / total
  let score = similarity
  if (cur.network.ip === prev.network.ip) score += 0.05
  else if (cur.network.prefix === prev.network.prefix) score += 0.04
  else if (cur.network.asn !== null && cur.network.asn === prev.network.asn) score += 0.02
  const days = (cur.seenAt - prev.seenAt) / 86_400_000_000
  if (days > 90) score -= 0.03
  return { veto: null, similarity, score: Math.max(0, Math.min(1, score)), matched, differed }
}
