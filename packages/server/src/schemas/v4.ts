/**
 * The Server API v4 shapes (the v7 Node SDK's types), as served: flat snake_case events. One schema
 * gives the route's response serializer, /openapi.json and the static types (events/types.ts).
 * Properties are in the order mappers/v4.ts writes them.
 */
import { Type } from '@sinclair/typebox'
import { described, FreeObject } from './common.js'
import { Confidence } from './v3.js'

const Opt = Type.Optional
const Str = (description: string) => Type.String({ description })
const Bool = (description: string) => Type.Boolean({ description })

export const V4Geolocation = Type.Object(
  {
    accuracy_radius: Opt(Type.Integer({ description: 'kilometres' })),
    latitude: Opt(Type.Number({ description: 'degrees, 4 decimals at most' })),
    longitude: Opt(Type.Number({ description: 'degrees, 4 decimals at most' })),
    postal_code: Opt(Str('postal code')),
    timezone: Opt(Str('IANA time zone')),
    city_name: Opt(Str('city name (English)')),
    country_code: Opt(Str('ISO 3166-1 alpha-2')),
    country_name: Opt(Str('country name (English)')),
    continent_code: Opt(Str('two letters, e.g. EU')),
    continent_name: Opt(Str('continent name')),
    subdivisions: Opt(
      Type.Array(
        Type.Object({ iso_code: Str('ISO 3166-2 code, without the country'), name: Str('subdivision name') }),
        { description: 'regions, largest first' },
      ),
    ),
  },
  { description: 'where the IP address is; unknown facts are absent' },
)

export const V4IpInfoAddress = Type.Object({
  address: Str('the IP address'),
  geolocation: Opt(V4Geolocation),
  asn: Opt(Str('autonomous system number')),
  asn_name: Opt(Str("the autonomous system's name")),
  asn_network: Opt(Str('the announced prefix (CIDR)')),
  datacenter_result: Opt(Bool('a hosting provider')),
  datacenter_name: Opt(Str('which hosting provider')),
})

export const V4VelocityData = Type.Object({
  '5_minutes': Type.Integer({ description: 'in the 5 minutes ending at the event' }),
  '1_hour': Type.Integer({ description: 'in the hour ending at the event' }),
  '24_hours': Opt(Type.Integer({ description: 'in the 24 hours; absent when too many rows to count' })),
})
const window = (description: string) => Opt(described(V4VelocityData, description))

export const V4Velocity = Type.Object(
  {
    distinct_ip: window("the visitor's distinct IP addresses"),
    distinct_linked_id: window("the visitor's distinct linked ids"),
    distinct_country: window("the visitor's distinct countries"),
    events: window("the visitor's events"),
    ip_events: window("the address's events"),
    distinct_ip_by_linked_id: window("the linked id's distinct IP addresses"),
    distinct_visitor_id_by_linked_id: window("the linked id's distinct visitors"),
  },
  { description: 'counts over the windows ending at the event; a metric we could not compute is absent' },
)

export const V4Identification = Type.Object(
  {
    visitor_id: Str('the visitor: stable across visits of the same browser'),
    visitor_found: Bool('the visitor had come before'),
    first_seen_at: Opt(Type.Integer({ description: "Unix ms of the visitor's first visit" })),
    confidence: Opt(
      Type.Object(
        { score: Type.Number({ description: '0..1: the probability that visitor_id is right' }) },
        { description: 'the identification confidence' },
      ),
    ),
    last_seen_at: Opt(Type.Integer({ description: "Unix ms of the visitor's visit before this one" })),
    candidates: Opt(
      Type.Array(
        Type.Object({
          visitor_id: Str('an earlier visitor'),
          probability: Type.Number({ description: 'that this browser is that visitor' }),
          reasons: Type.Array(Type.String(), { description: 'why, in words' }),
        }),
        { description: "Sightline's: probable earlier visitors (no valid stored identifier)" },
      ),
    ),
  },
  { description: 'the visitor' },
)

export const V4BrowserDetails = Type.Object(
  {
    browser_name: Str('e.g. Chrome; empty when unknown'),
    browser_major_version: Str('e.g. 131; empty when unknown'),
    browser_full_version: Str('e.g. 131.0.0.0; empty when unknown'),
    os: Str('e.g. Mac OS X; empty when unknown'),
    os_version: Str('e.g. 10.15.7; empty when unknown'),
    device: Str('"Other" for desktops, a model or iPhone/iPad otherwise; empty when unknown'),
  },
  { description: 'the browser, from its User-Agent and Client Hints' },
)

export const V4Bot = Type.Unsafe<'bad' | 'good' | 'not_detected'>({
  type: 'string',
  enum: ['bad', 'good', 'not_detected'],
  description: 'good: a known crawler naming itself; bad: automation',
})

export const V4Event = Type.Object(
  {
    event_id: Str('the request id'),
    timestamp: Type.Integer({ description: 'Unix ms' }),
    identification: Opt(V4Identification),
    url: Opt(Str('the page the agent ran on')),
    ip_address: Opt(Str('the IP address of the visit')),
    suspect: Opt(Bool("the owner's flag (PATCH /v4/events/:eventId)")),
    replayed: Opt(Bool('the payload had already been posted')),
    bot: Opt(V4Bot),
    browser_details: Opt(V4BrowserDetails),
    user_agent: Opt(Str('the User-Agent the browser reported')),
    os: Opt(Str('the operating system, when known')),
    os_version: Opt(Str('its version, when known')),
    device: Opt(Str('the device, when known')),
    linked_id: Opt(Str('the linked id the page or the owner set')),
    tags: Opt(FreeObject('the tag the agent sent (a primitive is served as {tag: value})')),
    bot_type: Opt(Str('a good bot: who it says it is')),
    ip_info: Opt(
      Type.Object(
        {
          v4: Opt(described(V4IpInfoAddress, 'the address, when it is IPv4')),
          v6: Opt(described(V4IpInfoAddress, 'the address, when it is IPv6')),
        },
        { description: 'the address: geolocation, ASN, datacenter' },
      ),
    ),
    incognito: Opt(Bool('private browsing')),
    tampering: Opt(Bool('tampered or anti-detect browser')),
    tampering_confidence: Opt(Confidence),
    tampering_details: Opt(
      Type.Object(
        {
          anomaly_score: Opt(Type.Number({ description: '0..1' })),
          anti_detect_browser: Opt(Bool('never computed')),
        },
        { description: 'why' },
      ),
    ),
    suspect_score: Opt(Type.Integer({ description: 'the weights of the signals that fired, summed' })),
    velocity: Opt(V4Velocity),
    virtual_machine: Opt(Bool('virtual machine')),
    privacy_settings: Opt(Bool('privacy-focused browser settings')),
    high_activity_device: Opt(Bool('many events in the 24 hours ending at the event')),
    vpn: Opt(Bool('a VPN is likely')),
    vpn_confidence: Opt(Confidence),
    vpn_origin_timezone: Opt(Str("the browser's time zone")),
    vpn_origin_country: Opt(Str('the country of that time zone')),
    vpn_methods: Opt(
      Type.Object(
        {
          timezone_mismatch: Opt(Bool("the browser's time zone is not the address's")),
          public_vpn: Opt(Bool('the address is a hosting or VPN provider')),
        },
        { description: 'only the methods that could be evaluated for the event' },
      ),
    ),
    sdk: Opt(
      Type.Object(
        {
          platform: Type.Unsafe<'js' | 'android' | 'ios' | 'unknown'>({
            type: 'string',
            enum: ['js', 'android', 'ios', 'unknown'],
            description: 'the platform',
          }),
          version: Str('its version'),
        },
        { description: 'the sender (never set here)' },
      ),
    ),
    developer_tools: Opt(Bool('never computed')),
  },
  { description: 'an event, flat' },
)

export const V4SearchResult = Type.Object({
  events: Type.Array(V4Event, { description: 'newest first unless reverse' }),
  pagination_key: Opt(Str('for the next page, when there are more')),
})
