import type { ComponentName } from '@sightline/agent/components'
import { msOf } from '../mappers/dates.js'
import type { BotAssessment, Components, IpLocation, VisitorDetails } from '../schemas/stored.js'
import * as stored from '../store/json.js'
import type { LoadedEvent } from './loaded.js'

/** A loaded event with its stored JSON parsed once, for the pure rules of signals.ts. */
export interface EventContext {
  e: LoadedEvent
  /** The event's time in ms. */
  ms: number
  details: VisitorDetails
  location: IpLocation | null
  bot: Partial<BotAssessment>
  components: Components
}

export function context(e: LoadedEvent): EventContext {
  return {
    e,
    ms: msOf(e.row.ts),
    details: stored.details(e.row),
    location: stored.ipLocation(e.row),
    bot: stored.bot(e.row),
    components: stored.components(e.row),
  }
}

export const value = (ctx: EventContext, name: ComponentName) => stored.componentValue(ctx.components, name)

export const record = (v: unknown): Record<string, unknown> | null =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null

/** The signal names of the stored bot assessment (enrich/bots.ts decided them at ingest). */
export const botSignals = (ctx: EventContext): Set<string> =>
  new Set((Array.isArray(ctx.bot.reasons) ? ctx.bot.reasons : []).map((r) => String(r?.signal)))
