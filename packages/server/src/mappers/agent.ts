import type { Static } from '@sinclair/typebox'
import type { VisitorDetails as UaDetails } from '../enrich/user-agent.js'
import type { IdentifyResult as IdentifyResultSchema } from '../schemas/agent.js'
import type { IpLocation } from '../schemas/stored.js'
import { seenAt } from './dates.js'
import { toV3Geolocation } from './geolocation.js'

/** The answer to `POST /v1/identify` (schemas/agent.ts). */
export type IdentifyResult = Static<typeof IdentifyResultSchema>

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
