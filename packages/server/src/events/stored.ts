import type { IpLocation } from '../enrich/geo.js'
import type { HistoryRow, VisitRow } from '../store/visits.js'

/** What the pipeline stored in `visits.visitor_details`. */
export interface StoredDetails {
  browserName: string | null
  browserMajorVersion: string | null
  browserFullVersion: string | null
  os: string | null
  osVersion: string | null
  device: string | null
  incognito: boolean
  userAgent: string | null
  asn: { asn: number; name: string; network: string | null } | null
}

export interface StoredIdentification {
  path?: string
  confidence?: number
  reasons?: string[]
  storedId?: string
  /** Probable earlier visitors of a visit without a valid stored identifier (identify/links.ts). */
  candidates?: StoredCandidate[]
}

export interface StoredCandidate {
  visitorId: string
  probability: number
  reasons: string[]
}

/** The candidates of a stored identification, when it has any (older rows have none). */
export function candidates(i: StoredIdentification): StoredCandidate[] | undefined {
  const c = i.candidates
  return Array.isArray(c) ? c.filter((x) => x && typeof x.visitorId === 'string') : undefined
}

export interface StoredBot {
  browserSaysItsBot?: boolean
  browserHeadless?: boolean
  botProbability?: number
  reasons?: { signal: string; weight: number }[]
  replayOf?: string
}

export type StoredComponents = Record<string, { value?: unknown; error?: string; duration?: number }>

/** Stored JSON is ours, but a row written by an older version may lack keys: never throw. */
function parse<T>(text: string | null | undefined, fallback: T): T {
  if (!text) return fallback
  try {
    const v = JSON.parse(text) as unknown
    return typeof v === 'object' && v !== null ? (v as T) : fallback
  } catch {
    return fallback
  }
}

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null)

export function details(row: Pick<VisitRow, 'visitor_details'>): StoredDetails {
  const d = parse<Record<string, unknown>>(row.visitor_details, {})
  const asn = d.asn as StoredDetails['asn'] | undefined
  return {
    browserName: str(d.browserName),
    browserMajorVersion: str(d.browserMajorVersion),
    browserFullVersion: str(d.browserFullVersion),
    os: str(d.os),
    osVersion: str(d.osVersion),
    device: str(d.device),
    incognito: d.incognito === true,
    userAgent: str(d.userAgent),
    asn: asn && typeof asn.asn === 'number' ? asn : null,
  }
}

export const ipLocation = (row: Pick<HistoryRow, 'ip_location'>): IpLocation | null =>
  parse<IpLocation | null>(row.ip_location, null)

export const identification = (row: Pick<VisitRow, 'identification'>): StoredIdentification =>
  parse<StoredIdentification>(row.identification, {})

export const bot = (row: Pick<HistoryRow, 'bot'>): StoredBot => parse<StoredBot>(row.bot, {})

export const components = (row: Pick<VisitRow, 'components'>): StoredComponents =>
  parse<StoredComponents>(row.components, {})

/** The value of one component, or undefined when it is absent or failed. */
export function componentValue(c: StoredComponents, name: string): unknown {
  const entry = c[name]
  return entry && typeof entry === 'object' && 'value' in entry ? entry.value : undefined
}

/** The tag as the Server APIs serve it: an object; a primitive is wrapped as `{tag: value}`. */
export function tagObject(text: string | null): Record<string, unknown> {
  if (text === null) return {}
  let v: unknown
  try {
    v = JSON.parse(text)
  } catch {
    return {}
  }
  if (v === null || v === undefined) return {}
  return typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : { tag: v }
}

export const msOf = (us: number) => Math.floor(Number(us) / 1000)
export const isoOf = (us: number) => new Date(msOf(us)).toISOString()
