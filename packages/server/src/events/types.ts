/**
 * The Server API shapes we serve, written from the public API descriptions (v3: API v3 / the v6 Node
 * SDK; v4: API v4 / the v7 Node SDK). A few fields the SDK types mark required are optional here
 * because we cannot compute them honestly (docs/events.md lists them); everything we do send has
 * the SDK's name and type.
 */

export type Tag = Record<string, unknown>

export interface SeenAt {
  global: string | null
  subscription: string | null
}

export interface V3BrowserDetails {
  browserName: string
  browserMajorVersion: string
  browserFullVersion: string
  os: string
  osVersion: string
  device: string
  userAgent: string
}

export interface V3Geolocation {
  /** Kilometres. */
  accuracyRadius?: number
  latitude?: number
  longitude?: number
  postalCode?: string
  timezone?: string
  city?: { name: string }
  country?: { code: string; name: string }
  continent?: { code: string; name: string }
  subdivisions?: { isoCode: string; name: string }[]
}

export interface V3Visit {
  requestId: string
  browserDetails: V3BrowserDetails
  incognito: boolean
  ip: string
  ipLocation?: V3Geolocation
  linkedId?: string
  timestamp: number
  time: string
  url: string
  tag: Tag
  confidence?: { score: number }
  visitorFound: boolean
  firstSeenAt: SeenAt
  lastSeenAt: SeenAt
}

export interface V3Identification extends V3Visit {
  visitorId: string
  replayed: boolean
  suspect?: boolean
  /** Sightline's extra field: probable earlier visitors when the visit had no valid stored identifier. */
  candidates?: { visitorId: string; probability: number; reasons: string[] }[]
}

export type V3BotResult = 'notDetected' | 'good' | 'bad'

export interface V3Botd {
  bot: { result: V3BotResult; type?: string }
  meta?: Tag
  linkedId?: string
  url: string
  ip: string
  time: string
  userAgent: string
  requestId: string
}

export interface V3IpInfoAddress {
  address: string
  geolocation: V3Geolocation
  asn?: { asn: string; name: string; network: string }
  datacenter?: { result: boolean; name: string }
}

export interface V3IpInfo {
  v4?: V3IpInfoAddress
  v6?: V3IpInfoAddress
}

export interface V3Result {
  result: boolean
}

export type Confidence = 'low' | 'medium' | 'high'

export interface V3Tampering {
  result: boolean
  confidence: Confidence
  anomalyScore: number
}

export interface V3VelocityData {
  intervals?: { '5m': number; '1h': number; '24h'?: number }
}

export interface V3Velocity {
  distinctIp: V3VelocityData
  distinctLinkedId: V3VelocityData
  distinctCountry: V3VelocityData
  events: V3VelocityData
  ipEvents: V3VelocityData
  distinctIpByLinkedId: V3VelocityData
  distinctVisitorIdByLinkedId: V3VelocityData
}

/** Only the methods we evaluate, and only when they could be evaluated for the event. */
export interface V3VpnMethods {
  timezoneMismatch?: boolean
  publicVPN?: boolean
}

export interface V3Vpn {
  result: boolean
  confidence: Confidence
  originTimezone?: string
  originCountry?: string
  methods: V3VpnMethods
}

export interface V3HighActivity {
  result: boolean
  dailyRequests?: number
}

/** `{data}` for a product we computed; products we cannot compute are absent (never an error). */
export interface Product<T> {
  data?: T
}

export interface V3Products {
  identification?: Product<V3Identification>
  botd?: Product<V3Botd>
  ipInfo?: Product<V3IpInfo>
  incognito?: Product<V3Result>
  tampering?: Product<V3Tampering>
  velocity?: Product<V3Velocity>
  vpn?: Product<V3Vpn>
  virtualMachine?: Product<V3Result>
  privacySettings?: Product<V3Result>
  developerTools?: Product<V3Result>
  highActivity?: Product<V3HighActivity>
  suspectScore?: Product<{ result: number }>
}

/** The v3 webhook body: the identification's fields at the top level, the other products beside them. */
export interface V3Webhook {
  requestId: string
  url: string
  ip: string
  tag?: Tag
  time: string
  timestamp: number
  ipLocation?: V3Geolocation
  linkedId?: string
  visitorId?: string
  visitorFound?: boolean
  confidence?: { score: number }
  firstSeenAt?: SeenAt
  lastSeenAt?: SeenAt
  browserDetails?: V3BrowserDetails
  incognito?: boolean
  bot?: { result: V3BotResult; type?: string }
  userAgent?: string
  ipInfo?: V3IpInfo
  vpn?: Partial<V3Vpn>
  tampering?: Partial<V3Tampering>
  privacySettings?: Partial<V3Result>
  virtualMachine?: Partial<V3Result>
  highActivity?: V3HighActivity
  suspectScore?: { result?: number }
  velocity?: Partial<V3Velocity>
  developerTools?: Partial<V3Result>
  replayed?: boolean
  sdk: { platform: string; version: string }
}

export interface V4Geolocation {
  /** Kilometres. */
  accuracy_radius?: number
  latitude?: number
  longitude?: number
  postal_code?: string
  timezone?: string
  city_name?: string
  country_code?: string
  country_name?: string
  continent_code?: string
  continent_name?: string
  subdivisions?: { iso_code: string; name: string }[]
}

export interface V4IpInfoAddress {
  address: string
  geolocation?: V4Geolocation
  asn?: string
  asn_name?: string
  asn_network?: string
  datacenter_result?: boolean
  datacenter_name?: string
}

export interface V4VelocityData {
  '5_minutes': number
  '1_hour': number
  '24_hours'?: number
}

export interface V4Velocity {
  distinct_ip?: V4VelocityData
  distinct_linked_id?: V4VelocityData
  distinct_country?: V4VelocityData
  events?: V4VelocityData
  ip_events?: V4VelocityData
  distinct_ip_by_linked_id?: V4VelocityData
  distinct_visitor_id_by_linked_id?: V4VelocityData
}

export interface V4Event {
  event_id: string
  timestamp: number
  linked_id?: string
  suspect?: boolean
  sdk?: { platform: 'js' | 'android' | 'ios' | 'unknown'; version: string }
  replayed?: boolean
  identification?: {
    visitor_id: string
    confidence?: { score: number }
    visitor_found: boolean
    first_seen_at?: number
    last_seen_at?: number
    /** Sightline's extra field: probable earlier visitors (snake_case like the rest of v4). */
    candidates?: { visitor_id: string; probability: number; reasons: string[] }[]
  }
  tags?: Tag
  url?: string
  ip_address?: string
  user_agent?: string
  device?: string
  os?: string
  os_version?: string
  browser_details?: {
    browser_name: string
    browser_major_version: string
    browser_full_version: string
    os: string
    os_version: string
    device: string
  }
  bot?: 'bad' | 'good' | 'not_detected'
  bot_type?: string
  developer_tools?: boolean
  ip_info?: { v4?: V4IpInfoAddress; v6?: V4IpInfoAddress }
  incognito?: boolean
  privacy_settings?: boolean
  suspect_score?: number
  tampering?: boolean
  tampering_confidence?: Confidence
  tampering_details?: { anomaly_score?: number; anti_detect_browser?: boolean }
  velocity?: V4Velocity
  virtual_machine?: boolean
  vpn?: boolean
  vpn_confidence?: Confidence
  vpn_origin_timezone?: string
  vpn_origin_country?: string
  vpn_methods?: { timezone_mismatch?: boolean; public_vpn?: boolean }
  high_activity_device?: boolean
}
