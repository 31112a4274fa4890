/**
 * The Server API v4 shapes (the v7 Node SDK's types), as served: flat snake_case events. One schema
 * gives the route's response serializer, /openapi.json and the static types (events/types.ts).
 * Properties are in the order mappers/v4.ts writes them.
 */
import { Type } from '@sinclair/typebox'
import { FreeObject } from './common.js'
import { Confidence } from './v3.js'

const Opt = Type.Optional
const Str = (description?: string) => Type.String(description ? { description } : {})

export const V4Geolocation = Type.Object({
  accuracy_radius: Opt(Type.Integer({ description: 'kilometres' })),
  latitude: Opt(Type.Number()),
  longitude: Opt(Type.Number()),
  postal_code: Opt(Str()),
  timezone: Opt(Str('IANA time zone')),
  city_name: Opt(Str()),
  country_code: Opt(Str('ISO 3166-1 alpha-2')),
  country_name: Opt(Str()),
  continent_code: Opt(Str()),
  continent_name: Opt(Str()),
  subdivisions: Opt(Type.Array(Type.Object({ iso_code: Str(), name: Str() }))),
})

export const V4IpInfoAddress = Type.Object({
  address: Str(),
  geolocation: Opt(V4Geolocation),
  asn: Opt(Str()),
  asn_name: Opt(Str()),
  asn_network: Opt(Str()),
  datacenter_result: Opt(Type.Boolean()),
  datacenter_name: Opt(Str()),
})

export const V4VelocityData = Type.Object({
  '5_minutes': Type.Integer(),
  '1_hour': Type.Integer(),
  '24_hours': Opt(Type.Integer({ description: 'absent when the window was truncated' })),
})

export const V4Velocity = Type.Object(
  {
    distinct_ip: Opt(V4VelocityData),
    distinct_linked_id: Opt(V4VelocityData),
    distinct_country: Opt(V4VelocityData),
    events: Opt(V4VelocityData),
    ip_events: Opt(V4VelocityData),
    distinct_ip_by_linked_id: Opt(V4VelocityData),
    distinct_visitor_id_by_linked_id: Opt(V4VelocityData),
  },
  { description: 'counts over the windows ending at the event; a metric we could not compute is absent' },
)

export const V4Identification = Type.Object({
  visitor_id: Str(),
  visitor_found: Type.Boolean(),
  first_seen_at: Opt(Type.Integer({ description: 'Unix ms' })),
  confidence: Opt(Type.Object({ score: Type.Number({ description: '0..1' }) })),
  last_seen_at: Opt(Type.Integer({ description: 'Unix ms' })),
  candidates: Opt(
    Type.Array(Type.Object({ visitor_id: Str(), probability: Type.Number(), reasons: Type.Array(Str()) }), {
      description: "Sightline's: probable earlier visitors (no valid stored identifier)",
    }),
  ),
})

export const V4BrowserDetails = Type.Object({
  browser_name: Str(),
  browser_major_version: Str(),
  browser_full_version: Str(),
  os: Str(),
  os_version: Str(),
  device: Str(),
})

export const V4Bot = Type.Unsafe<'bad' | 'good' | 'not_detected'>({
  type: 'string',
  enum: ['bad', 'good', 'not_detected'],
})

export const V4Event = Type.Object(
  {
    event_id: Str('the request id'),
    timestamp: Type.Integer({ description: 'Unix ms' }),
    identification: Opt(V4Identification),
    url: Opt(Str()),
    ip_address: Opt(Str()),
    suspect: Opt(Type.Boolean({ description: "the owner's flag (PATCH /v4/events/:eventId)" })),
    replayed: Opt(Type.Boolean()),
    bot: Opt(V4Bot),
    browser_details: Opt(V4BrowserDetails),
    user_agent: Opt(Str()),
    os: Opt(Str()),
    os_version: Opt(Str()),
    device: Opt(Str()),
    linked_id: Opt(Str()),
    tags: Opt(FreeObject('the tag the agent sent (a primitive is served as {tag: value})')),
    bot_type: Opt(Str('a good bot: who it says it is')),
    ip_info: Opt(Type.Object({ v4: Opt(V4IpInfoAddress), v6: Opt(V4IpInfoAddress) })),
    incognito: Opt(Type.Boolean()),
    tampering: Opt(Type.Boolean()),
    tampering_confidence: Opt(Confidence),
    tampering_details: Opt(
      Type.Object({ anomaly_score: Opt(Type.Number()), anti_detect_browser: Opt(Type.Boolean()) }),
    ),
    suspect_score: Opt(Type.Integer()),
    velocity: Opt(V4Velocity),
    virtual_machine: Opt(Type.Boolean()),
    privacy_settings: Opt(Type.Boolean()),
    high_activity_device: Opt(Type.Boolean()),
    vpn: Opt(Type.Boolean()),
    vpn_confidence: Opt(Confidence),
    vpn_origin_timezone: Opt(Str()),
    vpn_origin_country: Opt(Str()),
    vpn_methods: Opt(
      Type.Object({ timezone_mismatch: Opt(Type.Boolean()), public_vpn: Opt(Type.Boolean()) }),
    ),
    sdk: Opt(
      Type.Object({
        platform: Type.Unsafe<'js' | 'android' | 'ios' | 'unknown'>({
          type: 'string',
          enum: ['js', 'android', 'ios', 'unknown'],
        }),
        version: Str(),
      }),
    ),
    developer_tools: Opt(Type.Boolean()),
  },
  { description: 'an event, flat' },
)

export const V4SearchResult = Type.Object({
  events: Type.Array(V4Event),
  pagination_key: Opt(Str('for the next page, when there are more')),
})
