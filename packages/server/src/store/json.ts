import type {
  BotAssessment,
  Candidate,
  Components,
  Identification,
  IpLocation,
  VisitorDetails,
} from '../schemas/stored.js'

declare const parsesTo: unique symbol
/**
 * JSON text in a TEXT column (the same on SQLite and PostgreSQL) that parses to T, one of the
 * schemas in schemas/stored.ts. Any string is accepted on write; the readers below give T on read.
 */
export type Json<T> = string & { readonly [parsesTo]?: T }

/** The text to store for a value of the column's schema. */
export const toJson = <T>(value: T): Json<T> => JSON.stringify(value)

/** Stored JSON is ours, but a row written by an older version may lack keys: never throw. */
function parse<T>(text: Json<T> | string | null | undefined, fallback: T): T {
  if (!text) return fallback
  try {
    const v = JSON.parse(text) as unknown
    return typeof v === 'object' && v !== null ? (v as T) : fallback
  } catch {
    return fallback
  }
}

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null)

/** `visitor_details`, every key present (null when an older row lacks it). */
export function details(row: { visitor_details: Json<VisitorDetails> }): VisitorDetails {
  const d = parse<Partial<Record<keyof VisitorDetails, unknown>>>(row.visitor_details, {})
  const asn = d.asn as VisitorDetails['asn'] | undefined
  return {
    browserName: str(d.browserName),
    browserFullVersion: str(d.browserFullVersion),
    browserMajorVersion: str(d.browserMajorVersion),
    browserPlatformName: str(d.browserPlatformName),
    browserPlatformVersion: str(d.browserPlatformVersion),
    browserWebkitFullVersion: str(d.browserWebkitFullVersion),
    os: str(d.os),
    osVersion: str(d.osVersion),
    device: str(d.device),
    incognito: d.incognito === true,
    userAgent: str(d.userAgent),
    asn: asn && typeof asn.asn === 'number' ? asn : null,
  }
}

export const ipLocation = (row: { ip_location: Json<IpLocation> | null }): IpLocation | null =>
  parse<IpLocation | null>(row.ip_location, null)

export const identification = (row: { identification: Json<Identification> }): Identification =>
  parse<Identification>(row.identification, {})

/** The bot assessment; keys an older row lacks are absent. */
export const bot = (row: { bot: Json<BotAssessment> }): Partial<BotAssessment> =>
  parse<Partial<BotAssessment>>(row.bot, {})

export const components = (row: { components: Json<Components> }): Components =>
  parse<Components>(row.components, {})

/** Each stored JSON column exactly as stored (the v1 visit detail serves them so). */
export const raw = <T>(text: Json<T>): T => parse<T>(text, {} as T)

/** The value of one component, or undefined when it is absent or failed. */
export function componentValue(c: Components, name: string): unknown {
  const entry = c[name]
  return entry && typeof entry === 'object' && 'value' in entry ? entry.value : undefined
}

/** The candidates of a stored identification, when it has any (older rows have none). */
export function candidates(i: Identification): Candidate[] | undefined {
  const c = i.candidates
  return Array.isArray(c) ? c.filter((x) => x && typeof x.visitorId === 'string') : undefined
}
