/**
 * The Server API v3 shapes (the v6 Node SDK's types), as served: one schema gives the route's
 * response serializer, /openapi.json and the static types (events/types.ts). Properties are in the
 * order the mappers (mappers/v3.ts) write them. A few fields the SDK marks required are optional
 * here because we cannot compute them honestly (docs/events.md lists them).
 */
import { type Static, type TSchema, Type } from '@sinclair/typebox'
import { FreeObject, NullableString } from './common.js'
import { Candidate } from './stored.js'

const Opt = Type.Optional
const Str = (description?: string) => Type.String(description ? { description } : {})

export const Tag = FreeObject('the tag the agent sent (a primitive is served as {tag: value})')

export const SeenAt = Type.Object({
  global: NullableString('always null: visitors are per app here'),
  subscription: NullableString('ISO 8601 time, null when never'),
})

export const V3BrowserDetails = Type.Object({
  browserName: Str(),
  browserMajorVersion: Str(),
  browserFullVersion: Str(),
  os: Str(),
  osVersion: Str(),
  device: Str(),
  userAgent: Str(),
})

export const V3Geolocation = Type.Object(
  {
    accuracyRadius: Opt(Type.Integer({ description: 'kilometres' })),
    latitude: Opt(Type.Number()),
    longitude: Opt(Type.Number()),
    postalCode: Opt(Str()),
    timezone: Opt(Str('IANA time zone')),
    city: Opt(Type.Object({ name: Str() })),
    country: Opt(Type.Object({ code: Str('ISO 3166-1 alpha-2'), name: Str() })),
    continent: Opt(Type.Object({ code: Str(), name: Str() })),
    subdivisions: Opt(Type.Array(Type.Object({ isoCode: Str(), name: Str() }))),
  },
  { description: 'where the IP address is; unknown facts are absent' },
)

const visitProperties = {
  requestId: Str('the identification request (event) id'),
  browserDetails: V3BrowserDetails,
  incognito: Type.Boolean(),
  ip: Str(),
  timestamp: Type.Integer({ description: 'Unix milliseconds' }),
  time: Str('ISO 8601'),
  url: Str(),
  tag: Tag,
  visitorFound: Type.Boolean(),
  firstSeenAt: SeenAt,
  lastSeenAt: SeenAt,
  ipLocation: Opt(V3Geolocation),
  linkedId: Opt(Str()),
  confidence: Opt(Type.Object({ score: Type.Number({ description: '0..1' }) })),
}

export const V3Visit = Type.Object(visitProperties, { description: 'a visit' })

export const V3Candidates = Opt(
  Type.Array(Candidate, {
    description: "Sightline's: probable earlier visitors of a visit without a valid stored identifier",
  }),
)

const identificationProperties = {
  visitorId: Str(),
  ...visitProperties,
  replayed: Type.Boolean(),
  suspect: Opt(Type.Boolean({ description: "the owner's flag (PUT /events/:requestId)" })),
  candidates: V3Candidates,
}
export const V3Identification = Type.Object(identificationProperties)

export const V3BotResult = Type.Union([
  Type.Literal('notDetected'),
  Type.Literal('good'),
  Type.Literal('bad'),
])
const BotVerdict = Type.Object({
  result: Type.Unsafe<Static<typeof V3BotResult>>({ type: 'string', enum: ['notDetected', 'good', 'bad'] }),
  type: Opt(Str('a good bot: who it says it is (google, bing, …)')),
})

export const V3Botd = Type.Object({
  bot: BotVerdict,
  url: Str(),
  ip: Str(),
  time: Str('ISO 8601'),
  userAgent: Str(),
  requestId: Str(),
  meta: Opt(Tag),
  linkedId: Opt(Str()),
})

export const V3IpInfoAddress = Type.Object({
  address: Str(),
  geolocation: V3Geolocation,
  asn: Opt(Type.Object({ asn: Str(), name: Str(), network: Str() })),
  datacenter: Opt(Type.Object({ result: Type.Boolean(), name: Str() })),
})
export const V3IpInfo = Type.Object({ v4: Opt(V3IpInfoAddress), v6: Opt(V3IpInfoAddress) })

export const V3Result = Type.Object({ result: Type.Boolean() })

export const Confidence = Type.Unsafe<'low' | 'medium' | 'high'>({
  type: 'string',
  enum: ['low', 'medium', 'high'],
})

export const V3Tampering = Type.Object({
  result: Type.Boolean(),
  confidence: Confidence,
  anomalyScore: Type.Number({ description: '0..1' }),
})

export const V3VelocityData = Type.Object({
  intervals: Opt(
    Type.Object({
      '5m': Type.Integer(),
      '1h': Type.Integer(),
      '24h': Opt(Type.Integer({ description: 'absent when the window was truncated' })),
    }),
  ),
})
export const V3Velocity = Type.Object({
  distinctIp: V3VelocityData,
  distinctLinkedId: V3VelocityData,
  distinctCountry: V3VelocityData,
  events: V3VelocityData,
  ipEvents: V3VelocityData,
  distinctIpByLinkedId: V3VelocityData,
  distinctVisitorIdByLinkedId: V3VelocityData,
})

export const V3Vpn = Type.Object({
  result: Type.Boolean(),
  confidence: Confidence,
  originTimezone: Opt(Str()),
  originCountry: Opt(Str()),
  methods: Type.Object(
    { timezoneMismatch: Opt(Type.Boolean()), publicVPN: Opt(Type.Boolean()) },
    { description: 'only the methods that could be evaluated for the event' },
  ),
})

export const V3HighActivity = Type.Object({
  result: Type.Boolean(),
  dailyRequests: Opt(Type.Integer()),
})

export const V3SuspectScore = Type.Object({ result: Type.Integer() })

/** `{data}` for a product we computed; products we cannot compute are absent (never an error). */
const Product = <T extends TSchema>(data: T, description: string) =>
  Opt(Type.Object({ data: Opt(data) }, { description }))

export const V3Products = Type.Object(
  {
    identification: Product(V3Identification, 'the visitor'),
    botd: Product(V3Botd, 'the bot verdict'),
    ipInfo: Product(V3IpInfo, 'the address: geolocation, ASN, datacenter'),
    incognito: Product(V3Result, 'private browsing'),
    tampering: Product(V3Tampering, 'anti-detect browsers, tampered APIs'),
    velocity: Product(V3Velocity, 'counts over the windows ending at the event'),
    vpn: Product(V3Vpn, 'VPN'),
    virtualMachine: Product(V3Result, 'virtual machine'),
    privacySettings: Product(V3Result, 'privacy-focused browser settings'),
    developerTools: Product(V3Result, 'never computed'),
    highActivity: Product(V3HighActivity, 'many events in 24 hours'),
    suspectScore: Product(V3SuspectScore, 'the sum of the products that fired'),
  },
  { description: 'one entry per product' },
)

export const V3Event = Type.Object({ products: V3Products }, { description: 'an event' })

/** The v3 webhook body: the identification's fields at the top level, the other products beside them. */
const { suspect: _, ...webhookIdentification } = identificationProperties
export const V3Webhook = Type.Object({
  ...webhookIdentification,
  bot: BotVerdict,
  userAgent: Str(),
  sdk: Type.Object({ platform: Str(), version: Str() }),
  ipInfo: Opt(V3IpInfo),
  vpn: Opt(V3Vpn),
  tampering: Opt(V3Tampering),
  privacySettings: Opt(V3Result),
  virtualMachine: Opt(V3Result),
  highActivity: Opt(V3HighActivity),
  suspectScore: Opt(V3SuspectScore),
  velocity: Opt(V3Velocity),
})

export const V3VisitorVisits = Type.Object({
  visitorId: Str(),
  visits: Type.Array(V3Visit),
  lastTimestamp: Opt(Type.Integer({ description: 'Unix ms of the last visit, when there are more' })),
  paginationKey: Opt(Str('the requestId to pass for the next page, when there are more')),
})

export const V3SearchResult = Type.Object({
  events: Type.Array(V3Event),
  paginationKey: Opt(Str('for the next page, when there are more')),
})

export const V3RelatedVisitors = Type.Object({
  relatedVisitors: Type.Array(Type.Object({ visitorId: Str() })),
})
