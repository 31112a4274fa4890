/**
 * The agent's half of the wire contract: every component's name and the type of its value, derived from
 * the sources' own return types (the registry in sources/index.ts), as FingerprintJS's
 * `SourcesToComponents` does. The server types its component table (identify/components.ts) against
 * these names. Type-only but for COMPONENT_NAMES; keep this module free of browser globals: the server
 * imports it.
 */
import type { Source, sources } from './sources/index.js'

/** One component as posted: the source's value, or why it failed; `duration` in whole ms. */
export type Component<T = unknown> = { value: T; duration: number } | { error: string; duration: number }

/** What a source's result becomes on the wire: a promise's value; `undefined` is sent as `null`. */
export type SourceValue<S extends Source> =
  Awaited<ReturnType<S>> extends infer V ? (undefined extends V ? Exclude<V, undefined> | null : V) : never

/** The components a registry of sources produces, name by name. */
export type SourcesToComponents<S extends Record<string, Source>> = {
  [K in keyof S]: Component<SourceValue<S[K]>>
}

/** Every component the agent sends. */
export type ComponentName = keyof typeof sources
/** The value type of each component, by name. */
export type ComponentValues = { [K in ComponentName]: SourceValue<(typeof sources)[K]> }
/** The `components` map of an identify request, as this agent posts it. */
export type Components = SourcesToComponents<typeof sources>

/** The names at run time, in registry order (collection order). */
export const COMPONENT_NAMES = [
  'audio',
  'uaHints',
  'incognito',
  'permissions',
  'speechVoices',
  'mediaDevices',
  'userAgent',
  'webdriver',
  'automation',
  'timezone',
  'languages',
  'screen',
  'screenSize',
  'screenFrame',
  'viewport',
  'hardwareConcurrency',
  'deviceMemory',
  'platform',
  'vendor',
  'plugins',
  'pdfViewerEnabled',
  'touchSupport',
  'storage',
  'math',
  'media',
  'intl',
  'intlFormat',
  'chrome',
  'errorStack',
  'canvas',
  'webgl',
  'webglParams',
  'fonts',
] as const satisfies readonly ComponentName[]

// A source registered without its name above fails to compile (`satisfies` catches the converse).
type Assert<T extends true> = T
export type AllNamed = Assert<
  [Exclude<ComponentName, (typeof COMPONENT_NAMES)[number]>] extends [never] ? true : false
>
