import { hostingProvider } from '../enrich/hosting.js'
import type { EventContext } from './context.js'
import { browserZone } from './environment.js'
import { zoneOffset } from './timezones.js'
import type { Confidence } from './types.js'
import { zoneCountry } from './tz-countries.js'

export interface Vpn {
  result: boolean
  confidence: Confidence
  originTimezone?: string
  originCountry?: string
  /** Only the methods we could evaluate for this event are present. */
  methods: { timezoneMismatch?: boolean; publicVPN?: boolean }
}

/** The browser's UTC offset (minutes east) at the event: what it reported, else its zone's. */
function browserOffset(ctx: EventContext, zone: string | null): number | null {
  const tz = ctx.components.timezone?.value as { offset?: unknown } | undefined
  if (typeof tz?.offset === 'number' && Number.isFinite(tz.offset)) return -tz.offset
  return zone ? zoneOffset(zone, ctx.ms) : null
}

/**
 * The browser's clock is set for another UTC offset than the IP's location has at the event's time.
 * Not flagged when the browser's zone is in the IP's country: geolocation is too coarse to tell apart
 * the zones of one country (a Californian on an IP placed in Kansas). Null when either side is unknown.
 */
export function timezoneMismatch(ctx: EventContext): boolean | null {
  const zone = browserZone(ctx)
  const ipZone = ctx.location?.timeZone
  const mine = browserOffset(ctx, zone)
  const theirs = ipZone ? zoneOffset(ipZone, ctx.ms) : null
  if (mine === null || theirs === null) return null
  if (mine === theirs) return false
  const country = zone ? zoneCountry(zone) : null
  return !(country !== null && country === ctx.location?.country.isoCode)
}

/** The address is announced by a hosting network (enrich/hosting.ts), where VPN exits run. Null without ASN. */
export function publicVpn(ctx: EventContext): boolean | null {
  const asn = ctx.details.asn?.asn
  return asn === undefined ? null : hostingProvider(asn) !== null
}

function confidenceOf(tz: boolean | null, hosting: boolean | null): Confidence {
  if (tz && hosting) return 'high'
  if (hosting) return 'medium'
  if (tz) return 'low'
  // Nothing fired: two clean methods say more than one.
  return tz === false && hosting === false ? 'medium' : 'low'
}

/** Null when neither method can be evaluated. */
export function vpn(ctx: EventContext): Vpn | null {
  const tz = timezoneMismatch(ctx)
  const hosting = publicVpn(ctx)
  if (tz === null && hosting === null) return null
  const zone = browserZone(ctx)
  const out: Vpn = { result: Boolean(tz || hosting), confidence: confidenceOf(tz, hosting), methods: {} }
  if (zone) {
    out.originTimezone = zone
    out.originCountry = zoneCountry(zone) ?? 'unknown'
  }
  if (tz !== null) out.methods.timezoneMismatch = tz
  if (hosting !== null) out.methods.publicVPN = hosting
  return out
}
