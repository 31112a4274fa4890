/**
 * The Server API v3 shapes (the v6 Node SDK's types), as served: one schema gives the route's
 * response serializer, /openapi.json and the static types (events/types.ts). Properties are in the
 * order the mappers (mappers/v3.ts) write them. A few fields the SDK marks required are optional
 * here because we cannot compute them honestly (docs/events.md lists them).
 */
import { type Static, type TSchema, Type } from '@sinclair/typebox'
import { described, FreeObject, NullableString } from './common.js'
import { Candidate } from './stored.js'

const Opt = Type.Optional
const Str = (description?: string) => Type.String(description ? { description } : {})

export const Tag = FreeObject('the tag the agent sent (a primitive is served as {tag: value})')

export const SeenAt = Type.Object(
  {
    global: NullableString('always null: visitors are per app here'),
    subscription: NullableString('ISO 8601 time of that visit in this app, null when there is none'),
  },
  { description: 'a visit of the visitor: its first, or the one before this one' },
)

export const V3BrowserDetails = Type.Object(
  {
    browserName: Str('e.g. Chrome; empty when unknown'),
    browserMajorVersion: Str('e.g. 131; empty when unknown'),
    browserFullVersion: Str('e.g. 131.0.0.0; empty when unknown'),
    os: Str('e.g. Mac OS X; empty when unknown'),
    osVersion: Str('e.g. 10.15.7; empty when unknown'),
    device: Str('"Other" for desktops, a model or iPhone/iPad otherwise; empty when unknown'),
    userAgent: Str('the User-Agent the browser reported'),
  },
  { description: 'the browser, from its User-Agent and Client Hints' },
)

export const V3Geolocation = Type.Object(
  {
    accuracyRadius: Opt(Type.Integer({ description: 'kilometres' })),
    latitude: Opt(Type.Number({ description: 'degrees, 4 decimals at most' })),
    longitude: Opt(Type.Number({ description: 'degrees, 4 decimals at most' })),
    postalCode: Opt(Str('postal code')),
    timezone: Opt(Str('IANA time zone')),
    city: Opt(Type.Object({ name: Str('city name (English)') }, { description: 'the city' })),
    country: Opt(
      Type.Object(
        { code: Str('ISO 3166-1 alpha-2'), name: Str('country name (English)') },
        { description: 'the country' },
      ),
    ),
    continent: Opt(
      Type.Object(
        { code: Str('two letters, e.g. EU'), name: Str('continent name') },
        { description: 'the continent' },
      ),
    ),
    subdivisions: Opt(
      Type.Array(
        Type.Object({ isoCode: Str('ISO 3166-2 code, without the country'), name: Str('subdivision name') }),
        { description: 'regions, largest first' },
      ),
    ),
  },
  { description: 'where the IP address is; unknown facts are absent' },
)

const Confidence_ = Type.Object(
  { score: Type.Number({ description: '0..1: the probability that visitorId is right' }) },
  { description: 'the identification confidence' },
)

const visitProperties = {
  requestId: Str('the identification request (event) id'),
  browserDetails: V3BrowserDetails,
  incognito: Type.Boolean({ description: 'private browsing' }),
  ip: Str('the IP address of the visit'),
  timestamp: Type.Integer({ description: 'Unix milliseconds' }),
  time: Str('ISO 8601'),
  url: Str('the page the agent ran on'),
  tag: Tag,
  visitorFound: Type.Boolean({ description: 'the visitor had come before' }),
  firstSeenAt: described(SeenAt, "the visitor's first visit"),
  lastSeenAt: described(SeenAt, "the visitor's visit before this one"),
  ipLocation: Opt(V3Geolocation),
  linkedId: Opt(Str('the linked id the page or the owner set')),
  confidence: Opt(Confidence_),
}

export const V3Visit = Type.Object(visitProperties, { description: 'a visit' })

export const V3Candidates = Opt(
  Type.Array(Candidate, {
    description: "Sightline's: probable earlier visitors of a visit without a valid stored identifier",
  }),
)

const identificationProperties = {
  visitorId: Str('the visitor: stable across visits of the same browser'),
  ...visitProperties,
  replayed: Type.Boolean({ description: 'the payload had already been posted' }),
  suspect: Opt(Type.Boolean({ description: "the owner's flag (PUT /events/:requestId)" })),
  candidates: V3Candidates,
}
export const V3Identification = Type.Object(identificationProperties, { description: 'the visitor' })

export const V3BotResult = Type.Union([
  Type.Literal('notDetected'),
  Type.Literal('good'),
  Type.Literal('bad'),
])
const BotVerdict = Type.Object(
  {
    result: Type.Unsafe<Static<typeof V3BotResult>>({
      type: 'string',
      enum: ['notDetected', 'good', 'bad'],
      description: 'good: a known crawler naming itself; bad: automation',
    }),
    type: Opt(Str('a good bot: who it says it is (google, bing, …)')),
  },
  { description: 'the bot verdict' },
)

export const V3Botd = Type.Object(
  {
    bot: BotVerdict,
    url: Str('the page the agent ran on'),
    ip: Str('the IP address of the visit'),
    time: Str('ISO 8601'),
    userAgent: Str('the User-Agent the browser reported'),
    requestId: Str('the request (event) id'),
    meta: Opt(described(Tag, 'the tag, when the agent sent one')),
    linkedId: Opt(Str('the linked id')),
  },
  { description: 'the bot verdict with the request it is about' },
)

export const V3IpInfoAddress = Type.Object(
  {
    address: Str('the IP address'),
    geolocation: V3Geolocation,
    asn: Opt(
      Type.Object(
        {
          asn: Str('autonomous system number'),
          name: Str('its name'),
          network: Str('the announced prefix (CIDR); empty when unknown'),
        },
        { description: 'the network' },
      ),
    ),
    datacenter: Opt(
      Type.Object(
        { result: Type.Boolean({ description: 'a hosting provider' }), name: Str('which, or empty') },
        { description: 'hosting' },
      ),
    ),
  },
  { description: 'one address' },
)
export const V3IpInfo = Type.Object(
  {
    v4: Opt(described(V3IpInfoAddress, 'the address, when it is IPv4')),
    v6: Opt(described(V3IpInfoAddress, 'the address, when it is IPv6')),
  },
  { description: 'the address by family' },
)

export const V3Result = Type.Object({ result: Type.Boolean({ description: 'detected' }) })

export const Confidence = Type.Unsafe<'low' | 'medium' | 'high'>({
  type: 'string',
  enum: ['low', 'medium', 'high'],
  description: 'how sure the verdict is',
})

export const V3Tampering = Type.Object({
  result: Type.Boolean({ description: 'tampered or anti-detect browser' }),
  confidence: Confidence,
  anomalyScore: Type.Number({ description: '0..1' }),
})

export const V3VelocityData = Type.Object({
  intervals: Opt(
    Type.Object(
      {
        '5m': Type.Integer({ description: 'in the 5 minutes ending at the event' }),
        '1h': Type.Integer({ description: 'in the hour ending at the event' }),
        '24h': Opt(Type.Integer({ description: 'in the 24 hours; absent when too many rows to count' })),
      },
      { description: 'absent when the metric could not be computed' },
    ),
  ),
})
const d = (description: string) => described(V3VelocityData, description)
export const V3Velocity = Type.Object({
  distinctIp: d("the visitor's distinct IP addresses"),
  distinctLinkedId: d("the visitor's distinct linked ids"),
  distinctCountry: d("the visitor's distinct countries"),
  events: d("the visitor's events"),
  ipEvents: d("the address's events"),
  distinctIpByLinkedId: d("the linked id's distinct IP addresses"),
  distinctVisitorIdByLinkedId: d("the linked id's distinct visitors"),
})

export const V3Vpn = Type.Object({
  result: Type.Boolean({ description: 'a VPN is likely' }),
  confidence: Confidence,
  originTimezone: Opt(Str("the browser's time zone")),
  originCountry: Opt(Str('the country of that time zone')),
  methods: Type.Object(
    {
      timezoneMismatch: Opt(Type.Boolean({ description: "the browser's time zone is not the address's" })),
      publicVPN: Opt(Type.Boolean({ description: 'the address is a hosting or VPN provider' })),
    },
    { description: 'only the methods that could be evaluated for the event' },
  ),
})

export const V3HighActivity = Type.Object({
  result: Type.Boolean({ description: 'many events in the 24 hours ending at the event' }),
  dailyRequests: Opt(Type.Integer({ description: 'how many, when high' })),
})

export const V3SuspectScore = Type.Object({
  result: Type.Integer({ description: 'the weights of the products that fired, summed (docs/events.md)' }),
})

/** `{data}` for a product we computed; products we cannot compute are absent (never an error). */
const Product = <T extends TSchema>(data: T, description: string) =>
  Opt(Type.Object({ data: Opt(described(data, data.description ?? 'the result')) }, { description }))

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
  userAgent: Str('the User-Agent the browser reported'),
  sdk: Type.Object(
    { platform: Str('js'), version: Str("this server's version") },
    { description: 'the sender' },
  ),
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
  visitorId: Str('the visitor asked for'),
  visits: Type.Array(V3Visit, { description: 'newest first' }),
  lastTimestamp: Opt(Type.Integer({ description: 'Unix ms of the last visit, when there are more' })),
  paginationKey: Opt(Str('the requestId to pass for the next page, when there are more')),
})

export const V3SearchResult = Type.Object({
  events: Type.Array(V3Event, { description: 'newest first unless reverse' }),
  paginationKey: Opt(Str('for the next page, when there are more')),
})

export const V3RelatedVisitors = Type.Object({
  relatedVisitors: Type.Array(Type.Object({ visitorId: Str('another browser of the same device') }), {
    description: 'most recently related first',
  }),
})
