/** The answer to `POST /v1/identify` (mappers/agent.ts), as served. */
import { Type } from '@sinclair/typebox'
import { Nullable, NullableString } from './common.js'
import { SeenAt, V3Geolocation } from './v3.js'

const Opt = Type.Optional

export const IdentifyResult = Type.Object({
  requestId: Type.String(),
  visitorId: Type.String(),
  visitorFound: Type.Boolean(),
  confidence: Type.Object({ score: Type.Number({ description: '0..1' }) }),
  storedId: Type.String({ description: 'the signed identifier the agent stores and sends back' }),
  sealedResult: Opt(
    Type.String({ description: 'base64 of the sealed event, when the app has an active sealed-results key' }),
  ),
  // With `extendedResult`: what the commercial agent's extended result carries.
  incognito: Opt(Type.Boolean()),
  browserName: Opt(NullableString()),
  browserVersion: Opt(NullableString()),
  os: Opt(NullableString()),
  osVersion: Opt(NullableString()),
  device: Opt(NullableString()),
  ip: Opt(Type.String()),
  ipLocation: Opt(Nullable(V3Geolocation)),
  firstSeenAt: Opt(SeenAt),
  lastSeenAt: Opt(SeenAt),
})
