import type { LoadedEvent } from '../events/loaded.js'
import { toV3Event } from './v3.js'
import { toV4Event } from './v4.js'

/** What a sealed result holds, in the sealed-results key's format: the event as v4 or v3 serves it. */
export const toSealedBody = (e: LoadedEvent, format: string) =>
  format === 'v4' ? toV4Event(e) : toV3Event(e)
