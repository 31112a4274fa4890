import type { VelocityCounts, Windows } from '../events/loaded.js'
import type { V3Velocity, V3VelocityData, V4Velocity, V4VelocityData } from '../events/types.js'

const KEYS = [
  ['distinctIp', 'distinct_ip'],
  ['distinctLinkedId', 'distinct_linked_id'],
  ['distinctCountry', 'distinct_country'],
  ['events', 'events'],
  ['ipEvents', 'ip_events'],
  ['distinctIpByLinkedId', 'distinct_ip_by_linked_id'],
  ['distinctVisitorIdByLinkedId', 'distinct_visitor_id_by_linked_id'],
] as const

function v3Data(w: Windows | null): V3VelocityData {
  if (!w) return {}
  return {
    intervals: w.h24 === undefined ? { '5m': w.m5, '1h': w.h1 } : { '5m': w.m5, '1h': w.h1, '24h': w.h24 },
  }
}

function v4Data(w: Windows): V4VelocityData {
  return w.h24 === undefined
    ? { '5_minutes': w.m5, '1_hour': w.h1 }
    : { '5_minutes': w.m5, '1_hour': w.h1, '24_hours': w.h24 }
}

/** Every metric is present; one we could not compute has no `intervals` (as the v3 API allows). */
export function toV3Velocity(v: VelocityCounts): V3Velocity {
  return Object.fromEntries(KEYS.map(([k]) => [k, v3Data(v[k])])) as unknown as V3Velocity
}

/** A metric we could not compute is absent. */
export function toV4Velocity(v: VelocityCounts): V4Velocity {
  const out: V4Velocity = {}
  for (const [k, snake] of KEYS) {
    const w = v[k]
    if (w) out[snake] = v4Data(w)
  }
  return out
}
