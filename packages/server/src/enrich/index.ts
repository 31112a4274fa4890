export { type AsnHit, AsnTable } from './asn.js'
export { assessBot, BOT_WEIGHTS, type BotAssessment, type BotInput, type BotSignal } from './bots.js'
export {
  type GeoInfo,
  type GeoOptions,
  type GeoResolver,
  type GeoResult,
  type IpLocation,
  openGeo,
} from './geo.js'
export { formatIp, isPublicIp, type ParsedIp, parseIp } from './ip.js'
export { subdivisionCode } from './subdivisions.js'
export { parseVisitorDetails, type UaHints, type VisitorDetails } from './user-agent.js'
