import type { LoadedEvent, VelocityCounts } from '../../src/events/index.js'
import type { VisitRow } from '../../src/store/visits.js'

export const TS = Date.UTC(2026, 0, 15, 18, 30, 0) * 1000 + 123 // µs, January (no DST in the US)

export const CHROME_UA =
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36'

export const location = (o: { country?: string; timeZone?: string; miles?: number | null } = {}) => ({
  accuracyRadius: o.miles === undefined ? 20 : o.miles,
  city: { name: 'Chicago' },
  continent: { code: 'NA', name: 'North America' },
  country: { isoCode: o.country ?? 'US', name: 'United States' },
  latitude: 41.85,
  longitude: -87.65,
  organization: { domain: null, isp: null, legalName: null, name: 'Comcast' },
  postalCode: '60601',
  subdivisions: [{ isoCode: 'IL', name: 'Illinois' }],
  timeZone: o.timeZone ?? 'America/Chicago',
})

export interface EventOptions {
  row?: Partial<VisitRow>
  components?: Record<string, unknown>
  details?: Record<string, unknown>
  location?: ReturnType<typeof location> | null
  bot?: Record<string, unknown>
  identification?: Record<string, unknown>
  velocity?: VelocityCounts | null
  firstSeenAt?: number
  lastSeenAt?: number | null
}

const wrap = (c: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(c).map(([k, value]) => [k, { value, duration: 1 }]))

export const quietVelocity = (): VelocityCounts => ({
  distinctIp: { m5: 1, h1: 1, h24: 1 },
  distinctLinkedId: { m5: 0, h1: 0, h24: 0 },
  distinctCountry: { m5: 1, h1: 1, h24: 1 },
  events: { m5: 1, h1: 1, h24: 1 },
  ipEvents: { m5: 1, h1: 1, h24: 1 },
  distinctIpByLinkedId: null,
  distinctVisitorIdByLinkedId: null,
})

/** A stored visit of a Chrome on macOS in Chicago on a residential network, as the pipeline writes it. */
export function event(o: EventOptions = {}): LoadedEvent {
  const components = wrap({
    userAgent: CHROME_UA,
    timezone: { name: 'America/Chicago', offset: 360 },
    intl: { timeZone: 'America/Chicago' },
    canvas: { text: 'abc', geometry: 'def', stable: true },
    audio: 124.04,
    webgl: {
      renderer: 'WebKit WebGL',
      unmaskedRenderer: 'ANGLE (Apple, ANGLE Metal Renderer: Apple M2, Unspecified Version)',
    },
    ...o.components,
  })
  const row: VisitRow = {
    request_id: `${Math.floor(TS / 1000)}.Ab12Cd`,
    app_id: 'app_test',
    visitor_id: 'V1s1t0rV1s1t0rV1s1t',
    ts: TS,
    fingerprint: '0'.repeat(32),
    url: 'https://shop.example/checkout',
    ip: '73.45.1.2',
    tag: null,
    linked_id: null,
    ip_location: o.location === null ? null : JSON.stringify(o.location ?? location()),
    visitor_details: JSON.stringify({
      browserName: 'Chrome',
      browserMajorVersion: '131',
      browserFullVersion: '131.0.6778.86',
      os: 'Mac OS X',
      osVersion: '10.15.7',
      device: 'Other',
      incognito: false,
      userAgent: CHROME_UA,
      asn: { asn: 7922, name: 'Comcast Cable Communications, LLC', network: '73.0.0.0/8' },
      ...o.details,
    }),
    components: JSON.stringify(components),
    identification: JSON.stringify({
      path: 'storedId',
      confidence: 1,
      reasons: [],
      storedId: 'valid',
      ...o.identification,
    }),
    bot: JSON.stringify({
      browserSaysItsBot: false,
      browserHeadless: false,
      botProbability: 0,
      reasons: [],
      ...o.bot,
    }),
    suspect: 0,
    bot_result: 'notDetected',
    ...o.row,
  }
  return {
    row,
    firstSeenAt: o.firstSeenAt ?? TS - 86_400_000_000 * 3,
    lastSeenAt: o.lastSeenAt === undefined ? TS - 3_600_000_000 : o.lastSeenAt,
    velocity: o.velocity === undefined ? quietVelocity() : o.velocity,
  }
}
