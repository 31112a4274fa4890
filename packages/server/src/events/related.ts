import type { Kysely } from 'kysely'
import { components, componentValue, details } from '../store/json.js'
import { visitsNear, visitsOfVisitor } from '../store/related.js'
import type { Database } from '../store/schema.js'
import { type VisitRow, visitorFirstSeen } from '../store/visits.js'

/**
 * Related visitors: other visitors of the app that are another browser on the same device. A visit
 * of another visitor counts when it came from the same IP address within RELATED_WINDOW_US of one of
 * this visitor's visits, its device-level signals equal that visit's (screen size, CPU cores,
 * platform and time zone, all required; device memory and GPU renderer whenever both browsers
 * expose them), and its browser is another one (a different browser name).
 */
export const RELATED_WINDOW_US = 30 * 60 * 1_000_000
/** How far back (the commercial API searches six months), and how many visits, are looked at. */
const LOOKBACK_US = 183 * 24 * 3600 * 1_000_000
const OWN_VISITS = 50
const CANDIDATES_PER_VISIT = 50
const MAX_RELATED = 100

interface Device {
  screen: string | null
  cores: unknown
  platform: unknown
  timezone: unknown
  memory: unknown
  gpu: unknown
}

const known = (v: unknown) => v !== null && v !== undefined && v !== ''

function screenOf(c: ReturnType<typeof components>): string | null {
  const size = componentValue(c, 'screenSize') as { long?: unknown; short?: unknown } | undefined
  if (size && known(size.long) && known(size.short)) return `${size.long}x${size.short}`
  const s = componentValue(c, 'screen') as { width?: unknown; height?: unknown } | undefined
  if (!s || typeof s.width !== 'number' || typeof s.height !== 'number') return null
  return `${Math.max(s.width, s.height)}x${Math.min(s.width, s.height)}`
}

function deviceOf(row: Pick<VisitRow, 'components'>): Device {
  const c = components(row)
  const tz = componentValue(c, 'timezone') as { name?: unknown } | undefined
  const gl = componentValue(c, 'webgl') as { unmaskedRenderer?: unknown; renderer?: unknown } | undefined
  return {
    screen: screenOf(c),
    cores: componentValue(c, 'hardwareConcurrency'),
    platform: componentValue(c, 'platform'),
    timezone: tz?.name,
    memory: componentValue(c, 'deviceMemory'),
    gpu: gl ? (known(gl.unmaskedRenderer) ? gl.unmaskedRenderer : gl.renderer) : undefined,
  }
}

export function sameDevice(a: Device, b: Device): boolean {
  for (const k of ['screen', 'cores', 'platform', 'timezone'] as const) {
    if (!known(a[k]) || a[k] !== b[k]) return false
  }
  for (const k of ['memory', 'gpu'] as const) {
    if (known(a[k]) && known(b[k]) && a[k] !== b[k]) return false
  }
  return true
}

const browserOf = (row: Pick<VisitRow, 'visitor_details'>) => details(row).browserName?.toLowerCase() ?? null

/** The related visitors, most recently related first; null when the app has no such visitor. */
export async function relatedVisitors(
  db: Kysely<Database>,
  appId: string,
  visitorId: string,
  now = Date.now() * 1000,
): Promise<string[] | null> {
  const first = await visitorFirstSeen(db, appId, visitorId)
  if (first === null) return null
  const own = await visitsOfVisitor(db, appId, visitorId, first, now - LOOKBACK_US, OWN_VISITS)
  const found: string[] = []
  const seen = new Set<string>()
  for (const visit of own) {
    const device = deviceOf(visit)
    const browser = browserOf(visit)
    if (browser === null) continue
    for (const other of await visitsNear(db, appId, visit, RELATED_WINDOW_US, CANDIDATES_PER_VISIT)) {
      if (seen.has(other.visitor_id)) continue
      const otherBrowser = browserOf(other)
      if (otherBrowser === null || otherBrowser === browser || !sameDevice(device, deviceOf(other))) continue
      seen.add(other.visitor_id)
      found.push(other.visitor_id)
      if (found.length >= MAX_RELATED) return found
    }
  }
  return found
}
