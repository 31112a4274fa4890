import type { ComponentName } from '@sightline/agent/components'
import type { Components } from '../identify/fingerprint.js'
import type { GeoResolver, GeoResult } from './geo.js'
import { parseVisitorDetails, type VisitorDetails } from './user-agent.js'

/** `::ffff:1.2.3.4` is an IPv4 client seen through a dual-stack socket. */
export function normalizeIp(ip: string): string {
  const m = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(ip)
  return m?.[1] ?? ip
}

export const componentValue = (c: Components, name: ComponentName): unknown => {
  const entry = c[name]
  return entry && 'value' in entry ? entry.value : undefined
}

export interface EnrichedVisit {
  ip: string
  geo: GeoResult
  /** The agent's user agent, else the request header's. */
  userAgent: string | undefined
  agentUserAgent: string | undefined
  uaHints: unknown
  details: VisitorDetails
}

/** What the server derives from a visit's address and user agent before identifying it. */
export function enrichVisit(
  geo: GeoResolver,
  rawIp: string,
  components: Components,
  headerUserAgent: string | undefined,
): EnrichedVisit {
  const ip = normalizeIp(rawIp)
  const agentUa = componentValue(components, 'userAgent')
  const agentUserAgent = typeof agentUa === 'string' ? agentUa : undefined
  const userAgent = agentUserAgent ?? headerUserAgent
  const uaHints = componentValue(components, 'uaHints')
  const details = parseVisitorDetails(userAgent, (uaHints ?? null) as never)
  return { ip, geo: geo.lookup(ip), userAgent, agentUserAgent, uaHints, details }
}
