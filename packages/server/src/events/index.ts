/**
 * The events model: one stored visit as the v3 and v4 Server APIs, webhooks and sealed results serve
 * it. Loading (database) is in load.ts; every mapper below is pure.
 */

// The API shapes of an event are in mappers/ (one file per API); re-exported for existing callers.
export { toV3Event, toV3Visit } from '../mappers/v3.js'
export { toV4Event } from '../mappers/v4.js'
export { toV3Webhook } from '../mappers/webhook.js'
export { loadEvent, loadEvents } from './load.js'
export type { LoadedEvent, VelocityCounts, Windows } from './loaded.js'
export type * from './types.js'
