/**
 * The JSON the pipeline stores in the visits table's text columns (store/schema.ts): one schema per
 * column, giving both the static type the code reads and the JSON schema the APIs publish.
 */
import type { Components as AgentComponents } from '@sightline/agent/components'
import { type Static, Type } from '@sinclair/typebox'
import type { BotSignal } from '../enrich/bot-weights.js'
import { Nullable, NullableNumber, NullableString } from './common.js'

const S = NullableString
const Opt = Type.Optional

/** `visits.ip_location`, also the Server API v1 `ipLocation`: every key present, unknown values null. */
export const IpLocation = Type.Object(
  {
    accuracyRadius: NullableNumber('miles'),
    city: Type.Object({ name: S('city name (English)') }, { description: 'the city' }),
    continent: Type.Object(
      { code: S('two letters, e.g. EU'), name: S('continent name') },
      { description: 'the continent' },
    ),
    country: Type.Object(
      { isoCode: S('ISO 3166-1 alpha-2'), name: S('country name (English)') },
      { description: 'the country' },
    ),
    latitude: NullableNumber('degrees, 4 decimals at most'),
    longitude: NullableNumber('degrees, 4 decimals at most'),
    organization: Type.Object(
      {
        domain: S('always null (no offline source)'),
        isp: S('the ISP (MaxMind ISP data, when given)'),
        legalName: S('always null (no offline source)'),
        name: S('the organization, else the autonomous system name'),
      },
      { description: 'who runs the address' },
    ),
    postalCode: S('postal code'),
    subdivisions: Type.Array(
      Type.Object({
        isoCode: S('ISO 3166-2 code, without the country'),
        name: Type.String({ description: 'subdivision name' }),
      }),
      { description: 'regions, largest first' },
    ),
    timeZone: S('IANA time zone'),
  },
  { description: "where the visit's IP address is, from the offline geolocation data" },
)
export type IpLocation = Static<typeof IpLocation>

/** The network of an address: autonomous system number, its name and the announced prefix. */
export const Asn = Type.Object(
  {
    asn: Type.Integer({ description: 'autonomous system number' }),
    name: Type.String({ description: "the autonomous system's name" }),
    network: NullableString('the announced prefix (CIDR)'),
  },
  { description: 'the network of the address' },
)
export type Asn = Static<typeof Asn>

/** `visits.visitor_details`: the parsed user agent, the incognito verdict and the network. */
export const VisitorDetails = Type.Object({
  browserName: S('e.g. Chrome'),
  browserFullVersion: S('e.g. 131.0.0.0'),
  browserMajorVersion: S('e.g. 131'),
  browserPlatformName: S('the UA platform token: Windows, Macintosh, Linux, Android, iPhone, iPad, CrOS'),
  browserPlatformVersion: S('OS version, e.g. 10.14.3'),
  browserWebkitFullVersion: S('the WebKit version in the User-Agent'),
  os: S('e.g. Mac OS X'),
  osVersion: S('e.g. 10.15.7'),
  device: S('"Other" for desktops, a model or iPhone/iPad otherwise'),
  incognito: Type.Boolean({ description: 'private browsing' }),
  userAgent: S("the agent's User-Agent, else the request header's"),
  asn: Nullable(Asn),
})
export type VisitorDetails = Static<typeof VisitorDetails>

/** `visits.bot`: enrich/bots.ts's assessment. */
export const BotAssessment = Type.Object({
  browserSaysItsBot: Type.Boolean({ description: 'the User-Agent or webdriver says so' }),
  browserHeadless: Type.Boolean({ description: 'a headless browser' }),
  botProbability: Type.Number({ description: '0..1, two decimals' }),
  reasons: Type.Array(
    Type.Object({
      signal: Type.Unsafe<BotSignal>(Type.String({ description: 'docs/bot-detection.md' })),
      weight: Type.Number({ description: 'the probability this signal alone gives' }),
    }),
    { description: 'the signals that fired' },
  ),
  replayOf: Opt(
    Type.String({
      description: 'a replayed payload: the request id of the identification that first posted it',
    }),
  ),
})
export type BotAssessment = Static<typeof BotAssessment>

/** A probable earlier visitor of a visit without a valid stored identifier (identify/links.ts). */
export const Candidate = Type.Object({
  visitorId: Type.String({ description: 'an earlier visitor' }),
  probability: Type.Number({ description: 'that this browser is that visitor' }),
  reasons: Type.Array(Type.String(), { description: 'why, in words' }),
})
export type Candidate = Static<typeof Candidate>

/** `visits.identification`: how the engine decided. Rows of older versions may lack any key. */
export const Identification = Type.Object({
  path: Opt(Type.String({ description: 'storedId, fingerprint, fuzzy, … or new' })),
  confidence: Opt(Type.Number({ description: '0..1' })),
  reasons: Opt(Type.Array(Type.String(), { description: 'why, in words' })),
  storedId: Opt(Type.String({ description: "the stored identifier's status: absent, valid, expired, …" })),
  candidates: Opt(Type.Array(Candidate, { description: 'probable earlier visitors' })),
  comparedWith: Opt(Type.String({ description: 'a fuzzy match: the visitor compared with' })),
  similarity: Opt(Type.Number({ description: '0..1 over the stable components' })),
  score: Opt(Type.Number({ description: 'similarity adjusted by network and time' })),
  matched: Opt(Type.Array(Type.String(), { description: 'the components that matched' })),
  differed: Opt(
    Type.Array(
      Type.Object({
        component: Type.String({ description: 'the component' }),
        penalty: Type.Number({ description: 'share of its weight lost: 1 counts fully against' }),
        why: Type.String({ description: 'why it differs' }),
      }),
      { description: 'the components that differed' },
    ),
  ),
})
export type Identification = Static<typeof Identification>

/** One signal as the agent posted it (the agent's `Component`: `@sightline/agent/components`). */
export const Component = Type.Object({
  value: Opt(Type.Unknown({ description: 'the value' })),
  error: Opt(Type.String({ description: 'why it could not be read' })),
  duration: Opt(Type.Number({ description: 'ms it took' })),
})
/**
 * `visits.components`: every signal as the agent posted it, by name. Any name and value pass: the
 * engine's knowledge of the agent's components (AgentComponents) is in identify/components.ts.
 */
export const Components = Type.Record(Type.String(), Component)
export type Components = Static<typeof Components>

// What this agent posts must fit the schema, key for key: a field added to the agent's components
// (or a value type the schema would reject) fails to compile here.
type Assert<T extends true> = T
type KeysOf<T> = T extends unknown ? keyof T : never
type AgentComponent = AgentComponents[keyof AgentComponents]
export type AgentFits = Assert<AgentComponents extends Components ? true : false>
export type AgentKeysKnown = Assert<
  Exclude<KeysOf<AgentComponent>, keyof (typeof Component)['properties']> extends never ? true : false
>

const Counts = (description: string) => Type.Record(Type.String(), Type.Integer(), { description })

/** `daily_summaries.summary`: one app's UTC day of visits, summed for the dashboard's overview. */
export const DaySummary = Type.Object({
  visits: Type.Integer({ description: 'visits that day' }),
  visitors: Type.Integer({ description: 'distinct visitors that day' }),
  bots: Type.Integer({ description: "visits whose bot verdict was 'bad'" }),
  goodBots: Type.Integer({
    description: "visits whose bot verdict was 'good' (search engines and the like)",
  }),
  countries: Counts('visits per ISO 3166-1 alpha-2 code; "" when unknown'),
  browsers: Counts('visits per browser name'),
  os: Counts('visits per operating system'),
  paths: Counts('visits per identification path (storedId, fingerprint, fuzzy, new)'),
})
export type DaySummary = Static<typeof DaySummary>
