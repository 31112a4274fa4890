import { hostingProvider } from '../enrich/hosting.js'
import type { EventContext } from './context.js'
import { privacySettings, virtualMachine } from './environment.js'
import type { LoadedEvent } from './loaded.js'
import { type Tampering, tampering } from './tampering.js'
import { type Vpn, vpn } from './vpn.js'

/** A visitor with at least this many events in the 24 hours ending at the event is highly active. */
export const HIGH_ACTIVITY_DAILY_EVENTS = 200

/**
 * Points each product adds to suspectScore when it fires (integer sum, 0..29). Botd counts a `bad`
 * verdict only (replays are bad bots already); datacenter is counted through vpn.publicVPN.
 */
export const SUSPECT_WEIGHTS = {
  bot: 10,
  tampering: 7,
  vpn: 3,
  virtualMachine: 3,
  highActivity: 3,
  privacySettings: 2,
  incognito: 1,
} as const

export interface Signals {
  incognito: boolean
  datacenter: { result: boolean; name: string } | null
  tampering: Tampering
  vpn: Vpn | null
  virtualMachine: boolean | null
  privacySettings: boolean | null
  highActivity: { result: boolean; dailyRequests?: number } | null
  suspectScore: number
}

export function datacenter(ctx: EventContext): Signals['datacenter'] {
  const asn = ctx.details.asn
  if (!asn) return null
  const name = hostingProvider(asn.asn)
  return name ? { result: true, name } : { result: false, name: '' }
}

/** From the visitor's events in the 24 h ending at the event; a truncated window (over the cap) is high. */
export function highActivity(e: LoadedEvent): Signals['highActivity'] {
  const events = e.velocity?.events
  if (!events) return null
  if (events.h24 === undefined) return { result: true }
  return events.h24 >= HIGH_ACTIVITY_DAILY_EVENTS
    ? { result: true, dailyRequests: events.h24 }
    : { result: false }
}

export function suspectScore(e: LoadedEvent, s: Omit<Signals, 'suspectScore'>): number {
  const fired: Record<keyof typeof SUSPECT_WEIGHTS, boolean> = {
    bot: e.row.bot_result === 'bad',
    tampering: s.tampering.result,
    vpn: s.vpn?.result === true,
    virtualMachine: s.virtualMachine === true,
    highActivity: s.highActivity?.result === true,
    privacySettings: s.privacySettings === true,
    incognito: s.incognito,
  }
  let score = 0
  for (const k of Object.keys(SUSPECT_WEIGHTS) as (keyof typeof SUSPECT_WEIGHTS)[])
    if (fired[k]) score += SUSPECT_WEIGHTS[k]
  return score
}

/** Every smart signal of an event, from its row and what loadEvent computed. Pure. */
export function signals(ctx: EventContext): Signals {
  const { e } = ctx
  const s = {
    incognito: ctx.details.incognito,
    datacenter: datacenter(ctx),
    tampering: tampering(ctx),
    vpn: vpn(ctx),
    virtualMachine: virtualMachine(ctx),
    privacySettings: privacySettings(ctx),
    highActivity: highActivity(e),
  }
  return { ...s, suspectScore: suspectScore(e, s) }
}
