// Baseline identification methods, each behind the same Identifier interface as our engine.

import { hash, murmur32 } from '../../packages/agent/src/hash.js'
import { STABLE_COMPONENTS } from '../../packages/agent/src/stable.js'
import { canonicalJson, computeFingerprint } from '../../packages/server/src/identify/fingerprint.js'
import type { Components, Identifier, SimVisit } from './types.js'

type Visit = Omit<SimVisit, 'truth' | 'events'>

const val = (c: Components, name: string): unknown => {
  const x = c[name]
  return x === undefined ? null : 'error' in x ? { error: x.error } : x.value
}
const memo = new WeakMap<object, string>()
/** Canonical JSON of a value; memoised per object (the simulator reuses unchanged values between visits). */
const str = (v: unknown): string => {
  if (typeof v === 'string') return v
  if (v === null || typeof v !== 'object') return canonicalJson(v)
  let s = memo.get(v)
  if (s === undefined) {
    s = canonicalJson(v)
    memo.set(v, s)
  }
  return s
}

const simCache = new Map<string, boolean>()
/** Whether ratio(a, b) ≥ threshold; memoised (attribute values repeat a lot across browsers). */
export function similar(a: string, b: string, threshold: number): boolean {
  if (a === b) return true
  const key = `${threshold}\u0000${a}\u0000${b}`
  let r = simCache.get(key)
  if (r === undefined) {
    r = similarUncached(a, b, threshold)
    if (simCache.size > 500_000) simCache.clear()
    simCache.set(key, r)
  }
  return r
}

function similarUncached(a: string, b: string, threshold: number): boolean {
  const n = a.length
  const m = b.length
  if ((2 * Math.min(n, m)) / (n + m) < threshold) return false
  const counts = new Map<number, number>()
  for (let i = 0; i < n; i++) counts.set(a.charCodeAt(i), (counts.get(a.charCodeAt(i)) ?? 0) + 1)
  let common = 0
  for (let j = 0; j < m; j++) {
    const c = b.charCodeAt(j)
    const k = counts.get(c) ?? 0
    if (k > 0) {
      common++
      counts.set(c, k - 1)
    }
  }
  if ((2 * common) / (n + m) < threshold) return false
  return ratio(a, b) >= threshold
}

/**
 * Similarity ratio of python-Levenshtein's `ratio` (used by Eckersley's and FP-Stalker's code):
 * 1 − indel distance / (len a + len b) = 2·LCS / (len a + len b).
 */
export function ratio(a: string, b: string): number {
  if (a === b) return 1
  const n = a.length
  const m = b.length
  if (n + m === 0) return 1
  let prev = new Uint16Array(m + 1)
  let cur = new Uint16Array(m + 1)
  for (let i = 1; i <= n; i++) {
    const ca = a.charCodeAt(i - 1)
    for (let j = 1; j <= m; j++)
      cur[j] = ca === b.charCodeAt(j - 1) ? prev[j - 1]! + 1 : Math.max(prev[j]!, cur[j - 1]!)
    ;[prev, cur] = [cur, prev]
  }
  return (2 * prev[m]!) / (n + m)
}

/** What client-side libraries do: the visitorId is the hash of the stable components. No storage. */
export function exactHash(): Identifier {
  return {
    name: 'exact hash',
    identify(v) {
      const id = computeFingerprint(v.components, STABLE_COMPONENTS)
      return { visitorId: id, storedId: id }
    },
  }
}

/** Reference: a server-issued identifier kept in first-party storage; a new one when it is gone. */
export function storageOnly(): Identifier {
  let next = 0
  let visits = 0
  const known = new Set<string>()
  return {
    name: 'storage only',
    identify(_v, storedId) {
      visits++
      if (storedId !== null && known.has(storedId)) return { visitorId: storedId, storedId }
      const id = `s${next++}`
      known.add(id)
      return { visitorId: id, storedId: id }
    },
    size: () => visits,
  }
}

// ------------------------------------------------------------------ Eckersley 2010

/** The attributes Eckersley's heuristic compares: Panopticlick's eight, mapped to our components, plus our stable ones. */
const ECK_ATTRS: [string, (c: Components) => unknown, boolean][] = [
  // [name, getter, exempt from the similarity test (FP-Stalker's reimplementation: cookies, resolution, timezone, local storage)]
  ['userAgent', (c) => val(c, 'userAgent'), false],
  ['plugins', (c) => val(c, 'plugins'), false],
  ['fonts', (c) => val(c, 'fonts'), false],
  ['accept-language', (c) => val(c, 'languages'), false],
  ['resolution', (c) => val(c, 'screen'), true],
  ['timezone', (c) => (val(c, 'timezone') as { offset?: number } | null)?.offset ?? null, true],
  ['cookies', (c) => (val(c, 'storage') as { cookies?: boolean } | null)?.cookies ?? null, true],
  [
    'localStorage',
    (c) => (val(c, 'storage') as { localStorage?: boolean } | null)?.localStorage ?? null,
    true,
  ],
  ...STABLE_COMPONENTS.filter((n) => n !== 'fonts' && n !== 'languages').map(
    (n) => [n, (c: Components) => val(c, n), false] as [string, (c: Components) => unknown, boolean],
  ),
]

/**
 * Eckersley, "How Unique Is Your Web Browser?" (PETS 2010): a new fingerprint is linked to an earlier
 * one that differs in exactly one attribute, if that earlier candidate is unique, and (for a string attribute
 * other than cookies/resolution/timezone/local storage) the similarity of the changed values is > 0.85.
 * Every earlier fingerprint is a candidate. Exact matches take the identifier last seen with them.
 */
const attrCache = new Map<string, number>()
const attrHash = (i: number, x: string, seed: number): number => {
  const key = `${seed}:${i}:${x}`
  let h = attrCache.get(key)
  if (h === undefined) {
    h = murmur32(key, seed)
    if (attrCache.size > 500_000) attrCache.clear()
    attrCache.set(key, h)
  }
  return h
}

export function eckersley(): Identifier {
  const n = ECK_ATTRS.length
  const exact = new Map<string, string>()
  const loo: Map<string, { key: string; value: string; id: string }[]>[] = ECK_ATTRS.map(() => new Map())
  let next = 0
  return {
    name: 'Eckersley 2010',
    identify(v) {
      const values = ECK_ATTRS.map(([, get]) => str(get(v.components)))
      const h1 = values.map((x, i) => attrHash(i, x, 0))
      const h2 = values.map((x, i) => attrHash(i, x, 7))
      let x1 = 0
      let x2 = 0
      for (let i = 0; i < n; i++) {
        x1 ^= h1[i]!
        x2 ^= h2[i]!
      }
      const key = `${x1}:${x2}`
      let id = exact.get(key)
      if (id === undefined) {
        const cands: { i: number; value: string; id: string }[] = []
        for (let i = 0; i < n; i++) {
          const list = loo[i]!.get(`${x1 ^ h1[i]!}:${x2 ^ h2[i]!}`)
          if (list) for (const e of list) if (e.key !== key) cands.push({ i, value: e.value, id: e.id })
        }
        if (cands.length > 0 && cands.every((c) => c.id === cands[0]!.id)) {
          const c = cands[0]!
          const exempt = ECK_ATTRS[c.i]![2]
          if (exempt || (similar(c.value, values[c.i]!, 0.85) && ratio(c.value, values[c.i]!) > 0.85))
            id = c.id
        }
        id ??= `e${next++}`
        for (let i = 0; i < n; i++) {
          const k = `${x1 ^ h1[i]!}:${x2 ^ h2[i]!}`
          const list = loo[i]!.get(k)
          const entry = { key, value: values[i]!, id }
          if (list) list.push(entry)
          else loo[i]!.set(k, [entry])
        }
      }
      exact.set(key, id)
      return { visitorId: id, storedId: id }
    },
  }
}

// ------------------------------------------------------------------ FP-Stalker 2018 (rule-based)

interface FpsPrint {
  t: number
  id: string
  full: string
  bucket: string
  version: number
  fonts: string[] | null
  sim: string[]
  allowed: string[]
}

const osOf = (ua: string) =>
  /Windows/.test(ua)
    ? 'Windows'
    : /Android/.test(ua)
      ? 'Android'
      : /iPhone|iPad/.test(ua)
        ? 'iOS'
        : /Mac OS X/.test(ua)
          ? 'Mac'
          : /Linux|CrOS/.test(ua)
            ? 'Linux'
            : 'Other'
const browserOf = (ua: string): [string, number] => {
  const m =
    /(Edg|OPR|SamsungBrowser|CriOS|FxiOS|Firefox)\/(\d+)/.exec(ua) ??
    /(Chrome)\/(\d+)/.exec(ua) ??
    /(Version)\/(\d+(?:\.\d+)?)/.exec(ua)
  return m ? [m[1]!, Number(m[2])] : ['Other', 0]
}

/**
 * Vastel et al., "FP-STALKER: Tracking Browser Fingerprint Evolutions" (IEEE S&P 2018), rule-based variant,
 * ported from the authors' algorithm: candidates are the last 2 fingerprints of each identifier seen in the
 * last 30 days; a candidate needs the same OS, platform and browser family (rule 1), a browser version that
 * did not decrease (2), identical canvas, local storage, DNT and cookie support (3, "forbidden changes"),
 * fonts that are a superset when fonts are available (4, their "Flash" fonts; ours are JS-detected), at most 2
 * changes among user agent, vendor, WebGL renderer, plugins, languages (5) each with similarity ≥ 0.75 (6),
 * and at most 1 change among resolution and time zone offset (7). An exact match wins; otherwise the candidates
 * must all carry the same identifier, else a new one is made. Attributes they did not have (audio, math,
 * hardwareConcurrency, deviceMemory, touch, WebGL precision, Intl settings) are treated as forbidden changes.
 */
export function fpStalker(): Identifier {
  const buckets = new Map<string, Set<FpsPrint>>()
  const byId = new Map<string, FpsPrint[]>()
  const exact = new Map<string, Set<string>>()
  let next = 0
  let visits = 0
  const prune = (now: number) => {
    for (const [id, list] of byId) {
      if (now - list[list.length - 1]!.t > 30 * 86_400_000) {
        for (const p of list) buckets.get(p.bucket)?.delete(p)
        byId.delete(id)
      }
    }
  }
  return {
    name: 'FP-Stalker 2018 (rules)',
    identify(v) {
      visits++
      if (visits % 2000 === 0) prune(v.t)
      const c = v.components
      const ua = String(val(c, 'userAgent') ?? '')
      const [fam, version] = browserOf(ua)
      const storage = (val(c, 'storage') ?? {}) as { cookies?: boolean; localStorage?: boolean }
      const webgl = (val(c, 'webgl') ?? {}) as Record<string, unknown>
      const intl = { ...((val(c, 'intl') ?? {}) as Record<string, unknown>), timeZone: undefined }
      const forbidden = [
        str(val(c, 'canvas')),
        String(storage.localStorage),
        String(storage.cookies),
        str(val(c, 'audio')),
        str(val(c, 'math')),
        str(val(c, 'hardwareConcurrency')),
        str(val(c, 'deviceMemory')),
        str(val(c, 'touchSupport')),
        str(webgl.precision ?? null),
        str(webgl.unmaskedVendor ?? null),
        canonicalJson(intl),
      ]
      const bucket = hash(`${osOf(ua)}|${val(c, 'platform')}|${fam}|${forbidden.join('|')}`)
      const fonts = val(c, 'fonts') as string[] | null
      const plugins = val(c, 'plugins') as { names?: string[] } | null
      const sim = [
        ua,
        str(val(c, 'vendor')),
        str(webgl.unmaskedRenderer ?? webgl.renderer ?? null),
        (plugins?.names ?? []).join(','),
        ((val(c, 'languages') as string[] | null) ?? []).join(','),
      ]
      const screen = val(c, 'screen') as { width?: number; height?: number; colorDepth?: number } | null
      const allowed = [
        `${screen?.width}x${screen?.height}x${screen?.colorDepth}`,
        String((val(c, 'timezone') as { offset?: number } | null)?.offset),
      ]
      const full = hash(`${bucket}|${(fonts ?? []).join(',')}|${sim.join('|')}|${allowed.join('|')}`)
      let id: string | undefined
      const exactIds = exact.get(full)
      const live = exactIds ? [...exactIds].filter((x) => byId.has(x)) : []
      if (live.length === 1) id = live[0]
      else if (live.length === 0) {
        const cands = new Set<string>()
        for (const k of buckets.get(bucket) ?? []) {
          if (k.version > version) continue
          if (k.fonts?.length && fonts && !k.fonts.every((f) => fonts.includes(f))) continue
          let changes = 0
          let ok = true
          for (let i = 0; i < sim.length && ok; i++)
            if (k.sim[i] !== sim[i]) {
              changes++
              if (changes > 2 || !similar(k.sim[i]!, sim[i]!, 0.75)) ok = false
            }
          if (!ok) continue
          let allowedChanges = 0
          for (let i = 0; i < allowed.length; i++) if (k.allowed[i] !== allowed[i]) allowedChanges++
          if (allowedChanges > 1) continue
          cands.add(k.id)
        }
        if (cands.size === 1) id = [...cands][0]
      }
      id ??= `f${next++}`
      const print: FpsPrint = { t: v.t, id, full, bucket, version, fonts, sim, allowed }
      const list = byId.get(id) ?? []
      list.push(print)
      if (list.length > 2) {
        const old = list.shift()!
        buckets.get(old.bucket)?.delete(old)
      }
      byId.set(id, list)
      let set = buckets.get(bucket)
      if (!set) {
        set = new Set()
        buckets.set(bucket, set)
      }
      set.add(print)
      let ids = exact.get(full)
      if (!ids) {
        ids = new Set()
        exact.set(full, ids)
      }
      ids.add(id)
      return { visitorId: id, storedId: id }
    },
    size: () => visits,
  }
}

export type { Visit }
