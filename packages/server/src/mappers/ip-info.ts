import { parseIp } from '../enrich/ip.js'
import type { EventContext } from '../events/context.js'
import type { Signals } from '../events/signals.js'
import type { V3IpInfo, V3IpInfoAddress, V4Event, V4IpInfoAddress } from '../events/types.js'
import { toV3Geolocation, toV4Geolocation } from './geolocation.js'

function family(ip: string): 'v4' | 'v6' | null {
  const v = parseIp(ip)?.version
  return v === 4 ? 'v4' : v === 6 ? 'v6' : null
}

/** Null for an address we cannot parse (rows always hold a valid one). */
export function toV3IpInfo(ctx: EventContext, dc: Signals['datacenter']): V3IpInfo | null {
  const ip = ctx.e.row.ip
  const key = family(ip)
  if (!key) return null
  const asn = ctx.details.asn
  const info: V3IpInfoAddress = {
    address: ip,
    geolocation: ctx.location ? toV3Geolocation(ctx.location) : {},
  }
  if (asn) info.asn = { asn: String(asn.asn), name: asn.name, network: asn.network ?? '' }
  if (dc) info.datacenter = dc
  return { [key]: info }
}

export function toV4IpInfo(ctx: EventContext, dc: Signals['datacenter']): V4Event['ip_info'] | null {
  const ip = ctx.e.row.ip
  const key = family(ip)
  if (!key) return null
  const asn = ctx.details.asn
  const info: V4IpInfoAddress = { address: ip }
  if (ctx.location) info.geolocation = toV4Geolocation(ctx.location)
  if (asn) {
    info.asn = String(asn.asn)
    info.asn_name = asn.name
    if (asn.network) info.asn_network = asn.network
  }
  if (dc) {
    info.datacenter_result = dc.result
    if (dc.result) info.datacenter_name = dc.name
  }
  return { [key]: info }
}
