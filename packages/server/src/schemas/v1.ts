/**
 * The Server API v1 (the spec, /work/shared/spec/server-api-v1.md) and the visit detail, as served.
 * Properties are in the spec's order (mappers/v1.ts writes them so).
 */
import { Type } from '@sinclair/typebox'
import { AnyJson, Nullable, NullableString } from './common.js'
import { BotAssessment, Components, Identification, IpLocation, VisitorDetails } from './stored.js'

const S = NullableString

export const V1Visit = Type.Object({
  tag: AnyJson('the tag exactly as the agent sent it; null when absent'),
  visitorId: Type.String(),
  fingerprint: Type.String(),
  timestamp: Type.String({ description: 'ISO 8601 UTC, microseconds' }),
  url: Type.String(),
  ip: Type.String(),
  ipLocation: Nullable(IpLocation),
  visitorDetails: Type.Object({
    browserFullVersion: S(),
    browserSaysItsBot: Type.Boolean(),
    browserMajorVersion: S(),
    browserName: S(),
    browserPlatformName: S(),
    browserPlatformVersion: S(),
    browserWebkitFullVersion: S(),
    browserHeadless: Type.Boolean(),
    botProbability: Type.Number({ description: '0..1' }),
  }),
})

export const V1History = Type.Array(V1Visit, { description: "the visitor's visits, newest first" })

/** Stored JSON served as stored: keys a row of an older version lacks are absent. */
const asStored = <T extends Parameters<typeof Type.Partial>[0]>(schema: T, description: string) =>
  Type.Partial(schema, { additionalProperties: true, description })

export const V1VisitDetail = Type.Object({
  requestId: Type.String(),
  ...V1Visit.properties,
  linkedId: S(),
  identification: asStored(Identification, 'how the visitor was identified'),
  bot: asStored(BotAssessment, 'the bot assessment with its signals'),
  userAgentDetails: asStored(VisitorDetails, 'the parsed user agent, incognito and network'),
  components: Type.Unsafe<Record<string, unknown>>({
    ...Components,
    description: 'the raw signals as the agent posted them',
  }),
})
