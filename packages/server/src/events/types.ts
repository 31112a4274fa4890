/**
 * The Server API shapes we serve, as static types derived from their schemas (schemas/v3.ts,
 * schemas/v4.ts): the schemas are what the routes serialize with and /openapi.json shows.
 */
import type { Static } from '@sinclair/typebox'
import type * as v3 from '../schemas/v3.js'
import type * as v4 from '../schemas/v4.js'

export type Tag = Static<typeof v3.Tag>
export type SeenAt = Static<typeof v3.SeenAt>
export type V3BrowserDetails = Static<typeof v3.V3BrowserDetails>
export type V3Geolocation = Static<typeof v3.V3Geolocation>
export type V3Visit = Static<typeof v3.V3Visit>
export type V3Identification = Static<typeof v3.V3Identification>
export type V3BotResult = Static<typeof v3.V3BotResult>
export type V3Botd = Static<typeof v3.V3Botd>
export type V3IpInfoAddress = Static<typeof v3.V3IpInfoAddress>
export type V3IpInfo = Static<typeof v3.V3IpInfo>
export type V3Result = Static<typeof v3.V3Result>
export type Confidence = Static<typeof v3.Confidence>
export type V3Tampering = Static<typeof v3.V3Tampering>
export type V3VelocityData = Static<typeof v3.V3VelocityData>
export type V3Velocity = Static<typeof v3.V3Velocity>
export type V3Vpn = Static<typeof v3.V3Vpn>
export type V3VpnMethods = V3Vpn['methods']
export type V3HighActivity = Static<typeof v3.V3HighActivity>
/** `{data}` for a product we computed; products we cannot compute are absent (never an error). */
export interface Product<T> {
  data?: T
}
export type V3Products = Static<typeof v3.V3Products>
export type V3Event = Static<typeof v3.V3Event>
export type V3Webhook = Static<typeof v3.V3Webhook>

export type V4Geolocation = Static<typeof v4.V4Geolocation>
export type V4IpInfoAddress = Static<typeof v4.V4IpInfoAddress>
export type V4VelocityData = Static<typeof v4.V4VelocityData>
export type V4Velocity = Static<typeof v4.V4Velocity>
export type V4Event = Static<typeof v4.V4Event>
