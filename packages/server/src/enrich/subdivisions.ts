import { SUBDIVISION_NAMES } from './subdivisions-data.js'

// Generic words that data sets add or drop around a subdivision name ("State of Berlin", "Riyadh Region").
const PREFIXES = /^(state|province|region|city|republic|county|department) of /
const SUFFIXES =
  / (region|province|oblast|governorate|department|county|district|municipality|voivodeship|city|prefecture|state|do|autonomous community)$/

const normalize = (s: string): string =>
  s
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim()

const strip = (n: string): string => n.replace(PREFIXES, '').replace(SUFFIXES, '')

interface CountryIndex {
  exact: Map<string, string | null> // null = ambiguous
  loose: Map<string, string | null>
}
const cache = new Map<string, CountryIndex | null>()

function put(map: Map<string, string | null>, key: string, code: string): void {
  const prev = map.get(key)
  if (prev === undefined) map.set(key, code)
  else if (prev !== code) map.set(key, null)
}

function index(countryCode: string): CountryIndex | null {
  let idx = cache.get(countryCode)
  if (idx !== undefined) return idx
  const raw = Object.hasOwn(SUBDIVISION_NAMES, countryCode) ? SUBDIVISION_NAMES[countryCode] : undefined
  idx = null
  if (raw) {
    idx = { exact: new Map(), loose: new Map() }
    for (const entry of raw.split('|')) {
      const eq = entry.indexOf('=')
      const code = entry.slice(0, eq)
      const n = normalize(entry.slice(eq + 1))
      put(idx.exact, n, code)
      put(idx.loose, strip(n), code)
    }
  }
  cache.set(countryCode, idx)
  return idx
}

/**
 * ISO 3166-2 subdivision code (the part after the dash, "IL" for Illinois) from an English or native name.
 * Returns null when the name is unknown or matches more than one subdivision.
 */
export function subdivisionCode(countryCode: string | null, name: string | null): string | null {
  if (!countryCode || !name) return null
  const key = `${countryCode}|${name}`
  let code = memo.get(key)
  if (code === undefined) {
    if (memo.size >= 50_000) memo.clear()
    code = match(countryCode.toUpperCase(), name)
    memo.set(key, code)
  }
  return code
}

const memo = new Map<string, string | null>()

function match(countryCode: string, name: string): string | null {
  const idx = index(countryCode)
  if (!idx) return null
  const n = normalize(name)
  const exact = idx.exact.get(n)
  if (exact !== undefined) return exact
  return idx.loose.get(strip(n)) ?? null
}
