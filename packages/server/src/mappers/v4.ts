import { botResult } from '../events/bot-result.js'
import type { EventContext } from '../events/context.js'
import type { LoadedEvent } from '../events/loaded.js'
import type { Signals } from '../events/signals.js'
import type { V4Event } from '../events/types.js'
import { candidates, identification } from '../store/json.js'
import { msOf } from './dates.js'
import { buildEvent, tagObject } from './event.js'
import { toV4IpInfo } from './ip-info.js'
import { toV4Velocity } from './velocity.js'

const V4_BOT = { notDetected: 'not_detected', good: 'good', bad: 'bad' } as const

function v4Identification(ctx: EventContext): NonNullable<V4Event['identification']> {
  const { e } = ctx
  const ident = identification(e.row)
  const out: NonNullable<V4Event['identification']> = {
    visitor_id: e.row.visitor_id,
    visitor_found: ident.path ? ident.path !== 'new' : e.lastSeenAt !== null,
    first_seen_at: msOf(e.firstSeenAt),
  }
  if (typeof ident.confidence === 'number') out.confidence = { score: ident.confidence }
  if (e.lastSeenAt !== null) out.last_seen_at = msOf(e.lastSeenAt)
  const links = candidates(ident)
  if (links)
    out.candidates = links.map((c) => ({
      visitor_id: c.visitorId,
      probability: c.probability,
      reasons: c.reasons,
    }))
  return out
}

function browser(ctx: EventContext): Partial<V4Event> {
  const d = ctx.details
  const out: Partial<V4Event> = {
    browser_details: {
      browser_name: d.browserName ?? '',
      browser_major_version: d.browserMajorVersion ?? '',
      browser_full_version: d.browserFullVersion ?? '',
      os: d.os ?? '',
      os_version: d.osVersion ?? '',
      device: d.device ?? '',
    },
  }
  if (d.userAgent) out.user_agent = d.userAgent
  if (d.os) out.os = d.os
  if (d.osVersion) out.os_version = d.osVersion
  if (d.device) out.device = d.device
  return out
}

function smartSignals(sig: Signals, e: LoadedEvent): Partial<V4Event> {
  const out: Partial<V4Event> = {
    incognito: sig.incognito,
    tampering: sig.tampering.result,
    tampering_confidence: sig.tampering.confidence,
    tampering_details: { anomaly_score: sig.tampering.anomalyScore },
    suspect_score: sig.suspectScore,
  }
  if (e.velocity) out.velocity = toV4Velocity(e.velocity)
  if (sig.virtualMachine !== null) out.virtual_machine = sig.virtualMachine
  if (sig.privacySettings !== null) out.privacy_settings = sig.privacySettings
  if (sig.highActivity) out.high_activity_device = sig.highActivity.result
  const vpn = sig.vpn
  if (vpn) {
    out.vpn = vpn.result
    out.vpn_confidence = vpn.confidence
    if (vpn.originTimezone) out.vpn_origin_timezone = vpn.originTimezone
    if (vpn.originCountry) out.vpn_origin_country = vpn.originCountry
    const methods: NonNullable<V4Event['vpn_methods']> = {}
    if (vpn.methods.timezoneMismatch !== undefined) methods.timezone_mismatch = vpn.methods.timezoneMismatch
    if (vpn.methods.publicVPN !== undefined) methods.public_vpn = vpn.methods.publicVPN
    out.vpn_methods = methods
  }
  return out
}

export function toV4Event(e: LoadedEvent): V4Event {
  const { ctx, sig } = buildEvent(e)
  const { row } = e
  const event: V4Event = {
    event_id: row.request_id,
    timestamp: msOf(row.ts),
    identification: v4Identification(ctx),
    url: row.url,
    ip_address: row.ip,
    suspect: row.suspect === 1,
    replayed: Boolean(ctx.bot.replayOf),
    bot: V4_BOT[row.bot_result as keyof typeof V4_BOT] ?? 'not_detected',
    ...browser(ctx),
  }
  if (row.linked_id !== null) event.linked_id = row.linked_id
  if (row.tag !== null) event.tags = tagObject(row.tag)
  if (row.bot_result === 'good') {
    const type = botResult(ctx.bot, ctx.details.userAgent).type
    if (type) event.bot_type = type
  }
  const ipInfo = toV4IpInfo(ctx, sig.datacenter)
  if (ipInfo) event.ip_info = ipInfo
  return { ...event, ...smartSignals(sig, e) }
}
