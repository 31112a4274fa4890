import type { VisitRow } from '../store/visits.js'

/** Counts over the windows ending at the event's time; `h24` is absent when the window was truncated. */
export interface Windows {
  m5: number
  h1: number
  h24?: number
}

/** Each metric is null when it could not be computed (no linked id, or its 1-hour window was truncated). */
export interface VelocityCounts {
  distinctIp: Windows | null
  distinctLinkedId: Windows | null
  distinctCountry: Windows | null
  events: Windows | null
  ipEvents: Windows | null
  distinctIpByLinkedId: Windows | null
  distinctVisitorIdByLinkedId: Windows | null
}

/** One stored visit plus what the APIs serve about it that is not in its row. */
export interface LoadedEvent {
  row: VisitRow
  /** µs: the visitor's first visit in this app. */
  firstSeenAt: number
  /** µs: the visitor's visit just before this one; null for its first. */
  lastSeenAt: number | null
  /** Null when the event was built without velocity (then velocity and highActivity are left out). */
  velocity: VelocityCounts | null
}
