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

// Weights roughly follow each component's entropy and how rarely it changes on its own.
export const WEIGHTS: Readonly<Record<string, number>> = {
  webgl: 3,
  fonts: 3,
  canvas: 2,
  screenSize: 2,
  audio: 1.5,
  languages: 1.5,
  intl: 1.5,
  hardwareConcurrency: 1,
  deviceMemory: 1,
  platform: 1,
  touchSupport: 1,
  vendor: 1,
  math: 1,
  pdfViewerEnabled: 0.5,
}

// Components that identify the hardware or browser build: a change means another device.
const HARDWARE = ['hardwareConcurrency', 'deviceMemory', 'platform', 'touchSupport', 'vendor'] as const

/** How soon after a visit a change in these components means another device rather than evolution. */
export const RECENT_MINUTES = 30
const QUICK_CHANGE_VETO = new Set(['screenSize', 'canvas', 'audio', 'intl', 'languages', 'fonts', 'math'])

const same = (a: unknown, b: unknown) => a === b || JSON.stringify(a) === JSON.stringify(b)

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

function jaccard(a: unknown, b: unknown): { sim: number; added: number; removed: number } {
  const x = new Set(Array.isArray(a) ? a.map(String) : [])
  const y = new Set(Array.isArray(b) ? b.map(String) : [])
  let both = 0
  for (const v of x) if (y.has(v)) both++
  const union = x.size + y.size - both
  return { sim: union === 0 ? 1 : both / union, added: y.size - both, removed: x.size - both }
}

const noisy = (canvas: unknown) => obj(canvas).stable === false

/**
 * How well `cur` continues `prev`: the evolution rules real browsers follow. Browser versions only
 * go up; an update may change canvas, audio and math; time zones change with travel; screens with
 * external monitors; fonts get installed. A changed GPU or hardware is another device.
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
  const gpuPrev = gpuModel(prev.stable.webgl)
  const gpuCur = gpuModel(cur.stable.webgl)
  if (gpuPrev && gpuCur && gpuPrev !== gpuCur) return fail('GPU changed')

  let total = 0
  let lost = 0
  const travelled = prev.network.country !== cur.network.country
  for (const [name, weight] of Object.entries(WEIGHTS)) {
    total += weight
    const a = prev.stable[name]
    const b = cur.stable[name]
    if (valueKey(prev.stable, name) === valueKey(cur.stable, name)) {
      matched.push(name)
      continue
    }
    let penalty = 1
    let why = 'changed'
    if (name === 'webgl') {
      penalty = 0.2
      why = 'same GPU, other driver or API details'
    } else if (name === 'fonts') {
      const j = jaccard(a, b)
      penalty = j.removed === 0 ? Math.min(0.5, 0.1 * j.added) : Math.min(1, (1 - j.sim) * 2)
      why = j.removed === 0 ? `${j.added} font(s) installed` : `fonts differ (Jaccard ${j.sim.toFixed(2)})`
    } else if (name === 'canvas' || name === 'audio') {
      if (noisy(cur.stable.canvas) || noisy(prev.stable.canvas)) {
        penalty = 0
        why = 'randomised by anti-fingerprinting: ignored'
      } else if (updated) {
        penalty = 0.3
        why = 'rendering changed with a browser update'
      }
    } else if (name === 'math') {
      penalty = updated ? 0.2 : 0.8
      why = updated ? 'changed with a browser update' : 'changed'
    } else if (name === 'screenSize') {
      penalty = 0.5
      why = 'another screen (external monitor?)'
    } else if (name === 'intl') {
      const x = obj(a)
      const y = obj(b)
      const onlyZone = ['locale', 'calendar', 'numberingSystem', 'hourCycle'].every((k) => same(x[k], y[k]))
      penalty = onlyZone ? (travelled ? 0.1 : 0.4) : 0.8
      why = onlyZone
        ? travelled
          ? 'time zone changed with the country: travel'
          : 'time zone changed'
        : 'locale changed'
    } else if (name === 'languages') {
      penalty = travelled ? 0.4 : 0.7
      why = 'languages changed'
    }
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
