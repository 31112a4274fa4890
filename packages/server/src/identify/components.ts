import type { ComponentName } from '@sightline/agent/components'
import type { StableComponentName } from '@sightline/agent/stable'

/**
 * What the engine knows of each component the agent sends, in one table (the agent exports the names
 * and value types: `@sightline/agent/components`). Typed against the agent: a source without an entry
 * here, an entry without a source, or a stable component (the agent's STABLE_COMPONENTS, hashed into
 * the fingerprint) without the engine's rules fails to compile.
 */

/** The candidate indexes: a visitor is found by any of these groups of components hashing alike. */
export const PARTS = ['hardware', 'display', 'fonts', 'locale'] as const
export type Part = (typeof PARTS)[number]

/** What a changed value costs, given the two values and the circumstances of the change. */
export type Evolution = (
  prev: unknown,
  cur: unknown,
  ctx: {
    /** Stable values of the two visits (a rule may look at another component). */
    prevStable: Record<string, unknown>
    curStable: Record<string, unknown>
    /** The browser's major version went up between the visits. */
    updated: boolean
    /** The visits came from different countries. */
    travelled: boolean
  },
) => { penalty: number; why: string }

/** A component hashed into the fingerprint and compared between visits. */
export interface StableRule {
  stable: true
  /** Its share of the similarity: roughly its entropy, and how rarely it changes on its own. */
  weight: number
  /**
   * Its candidate index and its position within that index's hash. Part hashes are stored with the
   * visitors, so neither may change for an existing component.
   */
  part: readonly [Part, number]
  /**
   * It identifies the hardware or browser build, so a change means another device (a veto): `value`
   * when both values are known and differ, `gpu` when the GPU model (compare.ts's gpuModel) differs.
   */
  hardware: false | 'value' | 'gpu'
  /** A change within RECENT_MINUTES of the last visit means another device, not evolution (a veto). */
  quickChangeVeto: boolean
  /** How it may change over a browser's life; null: any change counts fully against. */
  evolution: Evolution | null
  /** Its values are counted in the app's frequency table, and a matched one narrows the anonymity set. */
  rarity: boolean
  /** The agent has always sent it: a payload without most such components did not come from the agent. */
  core: boolean
}

/** A component the engine does not hash or compare: raw material for bots, incognito and enrichment. */
export interface OtherRule {
  stable: false
  core: boolean
}

export type ComponentRule<K extends ComponentName = ComponentName> = K extends StableComponentName
  ? StableRule
  : OtherRule

const obj = (v: unknown): Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {}
const same = (a: unknown, b: unknown) => a === b || JSON.stringify(a) === JSON.stringify(b)

function jaccard(a: unknown, b: unknown): { sim: number; added: number; removed: number } {
  const x = new Set(Array.isArray(a) ? a.map(String) : [])
  const y = new Set(Array.isArray(b) ? b.map(String) : [])
  let both = 0
  for (const v of x) if (y.has(v)) both++
  const union = x.size + y.size - both
  return { sim: union === 0 ? 1 : both / union, added: y.size - both, removed: x.size - both }
}

const noisy = (canvas: unknown) => obj(canvas).stable === false

/** The same GPU (the hardware veto saw to that): a driver or graphics API update. */
const gpuDetails: Evolution = () => ({ penalty: 0.2, why: 'same GPU, other driver or API details' })

/** Fonts get installed: a superset costs little; removed fonts count as another font list. */
const fontsInstalled: Evolution = (a, b) => {
  const j = jaccard(a, b)
  return j.removed === 0
    ? { penalty: Math.min(0.5, 0.1 * j.added), why: `${j.added} font(s) installed` }
    : { penalty: Math.min(1, (1 - j.sim) * 2), why: `fonts differ (Jaccard ${j.sim.toFixed(2)})` }
}

/** Rendering changes with browser updates; anti-fingerprinting noise (seen on the canvas) says nothing. */
const rendering: Evolution = (_a, _b, { prevStable, curStable, updated }) =>
  noisy(curStable.canvas) || noisy(prevStable.canvas)
    ? { penalty: 0, why: 'randomised by anti-fingerprinting: ignored' }
    : updated
      ? { penalty: 0.3, why: 'rendering changed with a browser update' }
      : { penalty: 1, why: 'changed' }

/** Floating-point results change with the browser's engine. */
const mathUpdate: Evolution = (_a, _b, { updated }) =>
  updated ? { penalty: 0.2, why: 'changed with a browser update' } : { penalty: 0.8, why: 'changed' }

/** An external monitor. */
const anotherScreen: Evolution = () => ({ penalty: 0.5, why: 'another screen (external monitor?)' })

/** The time zone follows travel; the rest of the locale rarely changes. */
const timeZone: Evolution = (a, b, { travelled }) => {
  const x = obj(a)
  const y = obj(b)
  const onlyZone = ['locale', 'calendar', 'numberingSystem', 'hourCycle'].every((k) => same(x[k], y[k]))
  if (!onlyZone) return { penalty: 0.8, why: 'locale changed' }
  return travelled
    ? { penalty: 0.1, why: 'time zone changed with the country: travel' }
    : { penalty: 0.4, why: 'time zone changed' }
}

/** Languages change with settings, more often abroad. */
const languages: Evolution = (_a, _b, { travelled }) => ({
  penalty: travelled ? 0.4 : 0.7,
  why: 'languages changed',
})

const other = (core: boolean): OtherRule => ({ stable: false, core })

/**
 * Every component. The stable ones come first, in the order compare() weighs them (its sums and the
 * order of its matched and differed lists follow this order); the rest in the agent's registry order.
 */
export const COMPONENTS: { readonly [K in ComponentName]: ComponentRule<K> } = {
  webgl: {
    stable: true,
    weight: 3,
    part: ['hardware', 0],
    hardware: 'gpu',
    quickChangeVeto: false,
    evolution: gpuDetails,
    rarity: true,
    core: true,
  },
  fonts: {
    stable: true,
    weight: 3,
    part: ['fonts', 0],
    hardware: false,
    quickChangeVeto: true,
    evolution: fontsInstalled,
    rarity: true,
    core: true,
  },
  canvas: {
    stable: true,
    weight: 2,
    part: ['display', 1],
    hardware: false,
    quickChangeVeto: true,
    evolution: rendering,
    rarity: true,
    core: true,
  },
  screenSize: {
    stable: true,
    weight: 2,
    part: ['display', 0],
    hardware: false,
    quickChangeVeto: true,
    evolution: anotherScreen,
    rarity: true,
    core: true,
  },
  audio: {
    stable: true,
    weight: 1.5,
    part: ['display', 2],
    hardware: false,
    quickChangeVeto: true,
    evolution: rendering,
    rarity: true,
    core: true,
  },
  languages: {
    stable: true,
    weight: 1.5,
    part: ['locale', 0],
    hardware: false,
    quickChangeVeto: true,
    evolution: languages,
    rarity: true,
    core: true,
  },
  intl: {
    stable: true,
    weight: 1.5,
    part: ['locale', 1],
    hardware: false,
    quickChangeVeto: true,
    evolution: timeZone,
    rarity: true,
    core: true,
  },
  hardwareConcurrency: {
    stable: true,
    weight: 1,
    part: ['hardware', 1],
    hardware: 'value',
    quickChangeVeto: false,
    evolution: null,
    rarity: true,
    core: true,
  },
  deviceMemory: {
    stable: true,
    weight: 1,
    part: ['hardware', 2],
    hardware: 'value',
    quickChangeVeto: false,
    evolution: null,
    rarity: true,
    core: false,
  },
  platform: {
    stable: true,
    weight: 1,
    part: ['hardware', 3],
    hardware: 'value',
    quickChangeVeto: false,
    evolution: null,
    rarity: true,
    core: true,
  },
  touchSupport: {
    stable: true,
    weight: 1,
    part: ['hardware', 4],
    hardware: 'value',
    quickChangeVeto: false,
    evolution: null,
    rarity: true,
    core: true,
  },
  vendor: {
    stable: true,
    weight: 1,
    part: ['hardware', 5],
    hardware: 'value',
    quickChangeVeto: false,
    evolution: null,
    rarity: true,
    core: true,
  },
  math: {
    stable: true,
    weight: 1,
    part: ['fonts', 1],
    hardware: false,
    quickChangeVeto: true,
    evolution: mathUpdate,
    rarity: true,
    core: true,
  },
  pdfViewerEnabled: {
    stable: true,
    weight: 0.5,
    part: ['fonts', 2],
    hardware: false,
    quickChangeVeto: false,
    evolution: null,
    rarity: true,
    core: false,
  },
  uaHints: other(false),
  incognito: other(false),
  permissions: other(false),
  speechVoices: other(false),
  mediaDevices: other(false),
  userAgent: other(true),
  webdriver: other(true),
  automation: other(false),
  timezone: other(true),
  screen: other(true),
  screenFrame: other(true),
  viewport: other(true),
  plugins: other(true),
  storage: other(false),
  media: other(false),
  intlFormat: other(false),
  chrome: other(true),
  errorStack: other(true),
  webglParams: other(false),
}

const entries = Object.entries(COMPONENTS) as [ComponentName, StableRule | OtherRule][]
const stableEntries = entries.filter((e): e is [ComponentName, StableRule] => e[1].stable)
const names = (keep: (r: StableRule) => boolean) => stableEntries.filter(([, r]) => keep(r)).map(([n]) => n)

/** The stable components with their rules, in table order. */
export const STABLE_RULES: readonly (readonly [ComponentName, StableRule])[] = stableEntries
/** Components whose change is another device, whatever else matches. */
export const HARDWARE = names((r) => r.hardware === 'value')
export const GPU = names((r) => r.hardware === 'gpu')
export const QUICK_CHANGE_VETO: ReadonlySet<string> = new Set(names((r) => r.quickChangeVeto))
/** Components counted in the frequency table. */
export const RARITY: ReadonlySet<string> = new Set(names((r) => r.rarity))
/** Components the agent has always sent (enrich/bots.ts's payload_incomplete). */
export const CORE_COMPONENTS: readonly ComponentName[] = entries.filter(([, r]) => r.core).map(([n]) => n)
/** Each part's components, in hash order. */
export const PART_GROUPS: readonly (readonly ComponentName[])[] = PARTS.map((p) =>
  stableEntries
    .filter(([, r]) => r.part[0] === p)
    .sort((a, b) => a[1].part[1] - b[1].part[1])
    .map(([n]) => n),
)
