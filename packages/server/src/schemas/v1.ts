/**
 * The Server API v1 (the spec, /work/shared/spec/server-api-v1.md) and the visit detail, as served.
 * Properties are in the spec's order (mappers/v1.ts writes them so).
 */
import { Type } from '@sinclair/typebox'
import { AnyJson, Nullable, NullableString } from './common.js'
import { BotAssessment, Components, Identification, IpLocation, VisitorDetails } from './stored.js'

const S = NullableString

export const V1Visit = Type.Object(
  {
    tag: AnyJson('the tag exactly as the agent sent it; null when absent'),
    visitorId: Type.String({ description: 'the visitor: stable across visits of the same browser' }),
    fingerprint: Type.String({ description: 'hash of the stable signals (32 hex)' }),
    timestamp: Type.String({ description: 'ISO 8601 UTC, microseconds' }),
    url: Type.String({ description: 'the page the agent ran on' }),
    ip: Type.String({ description: 'the IP address of the visit' }),
    ipLocation: Nullable(IpLocation),
    visitorDetails: Type.Object(
      {
        browserFullVersion: S('e.g. 131.0.0.0'),
        browserSaysItsBot: Type.Boolean({ description: 'the User-Agent or webdriver says so' }),
        browserMajorVersion: S('e.g. 131'),
        browserName: S('e.g. Chrome'),
        browserPlatformName: S(
          'the UA platform token: Windows, Macintosh, Linux, Android, iPhone, iPad, CrOS',
        ),
        browserPlatformVersion: S('OS version, e.g. 10.14.3'),
        browserWebkitFullVersion: S('the WebKit version in the User-Agent'),
        browserHeadless: Type.Boolean({ description: 'a headless browser' }),
        botProbability: Type.Number({ description: '0..1, two decimals' }),
      },
      { description: 'the browser and the bot assessment' },
    ),
  },
  { description: 'a visit' },
)

export const V1History = Type.Array(V1Visit, { description: "the visitor's visits, newest first" })

/** Stored JSON served as stored: keys a row of an older version lacks are absent. */
const asStored = <T extends Parameters<typeof Type.Partial>[0]>(schema: T, description: string) =>
  Type.Partial(schema, { additionalProperties: true, description })

export const V1VisitDetail = Type.Object({
  requestId: Type.String({ description: 'the identification request id' }),
  ...V1Visit.properties,
  linkedId: S('the linked id the page or the owner set'),
  identification: asStored(Identification, 'how the visitor was identified'),
  bot: asStored(BotAssessment, 'the bot assessment with its signals'),
  userAgentDetails: asStored(VisitorDetails, 'the parsed user agent, incognito and network'),
  components: Type.Unsafe<Record<string, unknown>>({
    ...Components,
    description: 'the raw signals as the agent posted them',
  }),
})
