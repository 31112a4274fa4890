/** The answer to `POST /v1/identify` (mappers/agent.ts), as served. */
import { Type } from '@sinclair/typebox'
import { described, Nullable, NullableString } from './common.js'
import { SeenAt, V3Geolocation } from './v3.js'

const Opt = Type.Optional

export const IdentifyResult = Type.Object({
  requestId: Type.String({ description: 'this identification' }),
  visitorId: Type.String({ description: 'the visitor: stable across visits of the same browser' }),
  visitorFound: Type.Boolean({ description: 'the visitor had come before' }),
  confidence: Type.Object(
    { score: Type.Number({ description: '0..1: the probability that visitorId is right' }) },
    { description: 'the identification confidence' },
  ),
  storedId: Type.String({ description: 'the signed identifier the agent stores and sends back' }),
  sealedResult: Opt(
    Type.String({ description: 'base64 of the sealed event, when the app has an active sealed-results key' }),
  ),
  // With `extendedResult`: what the commercial agent's extended result carries.
  incognito: Opt(Type.Boolean({ description: 'private browsing' })),
  browserName: Opt(NullableString('e.g. Chrome')),
  browserVersion: Opt(NullableString('e.g. 131.0.0.0')),
  os: Opt(NullableString('e.g. Mac OS X')),
  osVersion: Opt(NullableString('e.g. 10.15.7')),
  device: Opt(NullableString('"Other" for desktops, a model or iPhone/iPad otherwise')),
  ip: Opt(Type.String({ description: 'the IP address of the visit' })),
  ipLocation: Opt(Nullable(V3Geolocation)),
  firstSeenAt: Opt(described(SeenAt, "the visitor's first visit")),
  lastSeenAt: Opt(described(SeenAt, "the visitor's visit before this one")),
})
