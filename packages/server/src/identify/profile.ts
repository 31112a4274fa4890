import { createHash } from 'node:crypto'
import { PART_GROUPS } from './components.js'
import { type Components, canonicalJson } from './fingerprint.js'

export { PART_GROUPS }

/** What the engine remembers of a visitor's browser, to compare later visits against. */
export interface Profile {
  /** Values of the stable components (a failed source as `{error}`), as last seen. */
  stable: Record<string, unknown>
  browser: string | null
  /** Browser major version; only goes up over a browser's life. */
  major: number | null
  os: string | null
  network: NetworkInfo
  /** Microseconds since the epoch. */
  seenAt: number
  /** partHashes(stable), when known. */
  parts?: string[]
}

export interface NetworkInfo {
  ip: string
  /** /24 of an IPv4 address, /48 of an IPv6 one: one household or office, usually. */
  prefix: string
  asn: number | null
  country: string | null
}

/** What the engine remembers per visitor: the profile plus what decides whether indexes need a write. */
export interface StoredProfile extends Profile {
  fingerprint: string
  parts: string[]
}

/** The profile of the browser making this visit. */
export function buildProfile(input: {
  components: Components
  stableNames: readonly string[]
  fingerprint: string
  browser: string | null
  majorVersion: string | null
  os: string | null
  ip: string
  asn: number | null
  country: string | null
  ts: number
}): StoredProfile {
  const stable = stableValues(input.components, input.stableNames)
  const major = input.majorVersion === null ? Number.NaN : Number.parseInt(input.majorVersion, 10)
  return {
    stable,
    browser: input.browser,
    major: Number.isFinite(major) ? major : null,
    os: input.os,
    network: { ip: input.ip, prefix: ipPrefix(input.ip), asn: input.asn, country: input.country },
    seenAt: input.ts,
    fingerprint: input.fingerprint,
    parts: partHashes(stable),
  }
}

/**
 * What a new visitor claims: its fingerprint from its address. Two first visits of one browser racing
 * share both; identical devices share both only behind one address, where nothing tells them apart.
 */
export const claimKey = (fingerprint: string, ip: string) => `${fingerprint}|${ip}`

export function ipPrefix(ip: string): string {
  if (ip.includes(':')) return `${ip.split(':').slice(0, 3).join(':')}::/48`
  return `${ip.split('.').slice(0, 3).join('.')}.0/24`
}

export function stableValues(components: Components, stable: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const name of stable) {
    const c = components[name]
    out[name] = c === undefined ? null : c.error !== undefined ? { error: c.error } : (c.value ?? null)
  }
  return out
}

/**
 * One 16-hex hash per PART_GROUPS entry (each component's part is in identify/components.ts).
 * Candidates are found by any of these groups hashing alike, so a visitor whose fingerprint changed in
 * one group (a browser update, a new monitor, travel, new fonts) is still found.
 */
export function partHashes(stable: Record<string, unknown>): string[] {
  return PART_GROUPS.map((group, i) =>
    createHash('sha256')
      .update(`${i}:${canonicalJson(group.map((name) => stable[name] ?? null))}`)
      .digest('hex')
      .slice(0, 16),
  )
}
