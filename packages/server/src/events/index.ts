/**
 * The events model: one stored visit as the v3 and v4 Server APIs, webhooks and sealed results serve
 * it. Loading (database) is in load.ts; every mapper below is pure.
 */
export { loadEvent, loadEvents } from './load.js'
export type { LoadedEvent, VelocityCounts, Windows } from './loaded.js'
export type * from './types.js'
export { toV3Event, toV3Visit, toV3Webhook } from './v3.js'
export { toV4Event } from './v4.js'
