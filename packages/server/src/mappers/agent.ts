import type { VisitorDetails as UaDetails } from '../enrich/user-agent.js'
import type { V3Geolocation } from '../events/types.js'
import type { IpLocation } from '../schemas/stored.js'
import { seenAt } from './dates.js'
import { toV3Geolocation } from './geolocation.js'

/** The answer to `POST /v1/identify`. */
export interface IdentifyResult {
  requestId: string
  visitorId: string
  visitorFound: boolean
  confidence: { score: number }
  storedId: string
  /** base64 of the sealed event, when the app has an active sealed-results key. */
  sealedResult?: string
  /** With `extendedResult`: what the commercial agent's extended result carries. */
  incognito?: boolean
  browserName?: string | null
  browserVersion?: string | null
  os?: string | null
  osVersion?: string | null
  device?: string | null
  ip?: string
  ipLocation?: V3Geolocation | null
  firstSeenAt?: { global: string | null; subscription: string | null }
  lastSeenAt?: { global: string | null; subscription: string | null }
}

/** What the extended result adds, known at ingest (no stored row is read back). */
export interface AgentVisit {
  incognito: boolean
  details: UaDetails
  ip: string
  ipLocation: IpLocation | null
  /** µs: this visit. */
  ts: number
  /** µs: the visitor's first and last visits before this one; undefined for a new visitor. */
  firstSeenAt: number | undefined
  lastSeenAt: number | undefined
}

/** The agent's extended result: the commercial agent's `extendedResult` fields after the answer's own. */
export function toExtendedResult(result: IdentifyResult, v: AgentVisit): IdentifyResult {
  const { details } = v
  return {
    ...result,
    incognito: v.incognito,
    browserName: details.browserName,
    browserVersion: details.browserFullVersion,
    os: details.os,
    osVersion: details.osVersion,
    device: details.device,
    ip: v.ip,
    ipLocation: v.ipLocation ? toV3Geolocation(v.ipLocation) : null,
    firstSeenAt: seenAt(v.firstSeenAt ?? v.ts),
    lastSeenAt: seenAt(v.lastSeenAt),
  }
}
