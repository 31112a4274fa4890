/**
 * The JSON the pipeline stores in the visits table's text columns (store/schema.ts): one schema per
 * column, giving both the static type the code reads and the JSON schema the APIs publish.
 */
import { type Static, Type } from '@sinclair/typebox'
import type { BotSignal } from '../enrich/bot-weights.js'
import { Nullable, NullableNumber, NullableString } from './common.js'

const S = NullableString

/** `visits.ip_location`, also the Server API v1 `ipLocation`: every key present, unknown values null. */
export const IpLocation = Type.Object(
  {
    accuracyRadius: NullableNumber('miles'),
    city: Type.Object({ name: S() }),
    continent: Type.Object({ code: S('two letters, e.g. EU'), name: S() }),
    country: Type.Object({ isoCode: S('ISO 3166-1 alpha-2'), name: S() }),
    latitude: NullableNumber(),
    longitude: NullableNumber(),
    organization: Type.Object({ domain: S(), isp: S(), legalName: S(), name: S() }),
    postalCode: S(),
    subdivisions: Type.Array(
      Type.Object({ isoCode: S('ISO 3166-2, without the country'), name: Type.String() }),
    ),
    timeZone: S('IANA time zone'),
  },
  { description: "where the visit's IP address is, from the offline geolocation data" },
)
export type IpLocation = Static<typeof IpLocation>

/** The network of an address: autonomous system number, its name and the announced prefix. */
export const Asn = Type.Object({
  asn: Type.Integer(),
  name: Type.String(),
  network: NullableString('CIDR prefix'),
})
export type Asn = Static<typeof Asn>

/** `visits.visitor_details`: the parsed user agent, the incognito verdict and the network. */
export const VisitorDetails = Type.Object({
  browserName: S(),
  browserFullVersion: S(),
  browserMajorVersion: S(),
  browserPlatformName: S('the UA platform token: Windows, Macintosh, Linux, Android, iPhone, iPad, CrOS'),
  browserPlatformVersion: S('OS version, e.g. 10.14.3'),
  browserWebkitFullVersion: S(),
  os: S(),
  osVersion: S(),
  device: S('"Other" for desktops, a model or iPhone/iPad otherwise'),
  incognito: Type.Boolean(),
  userAgent: S(),
  asn: Nullable(Asn),
})
export type VisitorDetails = Static<typeof VisitorDetails>

/** `visits.bot`: enrich/bots.ts's assessment. */
export const BotAssessment = Type.Object({
  browserSaysItsBot: Type.Boolean(),
  browserHeadless: Type.Boolean(),
  botProbability: Type.Number({ description: '0..1, two decimals' }),
  reasons: Type.Array(
    Type.Object({
      signal: Type.Unsafe<BotSignal>(Type.String({ description: 'docs/bot-detection.md' })),
      weight: Type.Number(),
    }),
  ),
  replayOf: Type.Optional(
    Type.String({
      description: 'a replayed payload: the request id of the identification that first posted it',
    }),
  ),
})
export type BotAssessment = Static<typeof BotAssessment>

/** A probable earlier visitor of a visit without a valid stored identifier (identify/links.ts). */
export const Candidate = Type.Object({
  visitorId: Type.String(),
  probability: Type.Number(),
  reasons: Type.Array(Type.String()),
})
export type Candidate = Static<typeof Candidate>

/** `visits.identification`: how the engine decided. Rows of older versions may lack any key. */
export const Identification = Type.Object({
  path: Type.Optional(Type.String({ description: 'storedId, fingerprint, … or new' })),
  confidence: Type.Optional(Type.Number()),
  reasons: Type.Optional(Type.Array(Type.String())),
  storedId: Type.Optional(
    Type.String({ description: "the stored identifier's status: absent, valid, expired, …" }),
  ),
  candidates: Type.Optional(Type.Array(Candidate)),
  comparedWith: Type.Optional(Type.String()),
  similarity: Type.Optional(Type.Number()),
  score: Type.Optional(Type.Number()),
  matched: Type.Optional(Type.Array(Type.String())),
  differed: Type.Optional(
    Type.Array(Type.Object({ component: Type.String(), penalty: Type.Number(), why: Type.String() })),
  ),
})
export type Identification = Static<typeof Identification>

/** One signal as the agent posted it. */
export const Component = Type.Object({
  value: Type.Optional(Type.Unknown()),
  error: Type.Optional(Type.String()),
  duration: Type.Optional(Type.Number()),
})
/** `visits.components`: every signal as the agent posted it, by name. */
export const Components = Type.Record(Type.String(), Component)
export type Components = Static<typeof Components>
