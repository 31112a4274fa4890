import { context, type EventContext } from '../events/context.js'
import type { LoadedEvent } from '../events/loaded.js'
import { type Signals, signals } from '../events/signals.js'

/** What every event-shaped API (v3, v4, webhooks, sealed results) maps from: its JSON read once, its signals decided once. */
export interface BuiltEvent {
  ctx: EventContext
  sig: Signals
}

export function buildEvent(e: LoadedEvent): BuiltEvent {
  const ctx = context(e)
  return { ctx, sig: signals(ctx) }
}

/** The tag as the Server APIs serve it: an object; a primitive is wrapped as `{tag: value}`. */
export function tagObject(text: string | null): Record<string, unknown> {
  if (text === null) return {}
  let v: unknown
  try {
    v = JSON.parse(text)
  } catch {
    return {}
  }
  if (v === null || v === undefined) return {}
  return typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : { tag: v }
}
