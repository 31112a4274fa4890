import { candidates, details, identification, ipLocation } from '../store/json.js'
import type { HistoryRow, VisitRow } from '../store/visits.js'
import { SERVER_VERSION } from '../version.js'
import { botResult } from './bot-result.js'
import { context, type EventContext } from './context.js'
import { toV3Geolocation } from './geolocation.js'
import { toV3IpInfo } from './ip-info.js'
import type { LoadedEvent } from './loaded.js'
import { type Signals, signals } from './signals.js'
import { isoOf, msOf, tagObject } from './stored.js'
import type {
  SeenAt,
  V3Botd,
  V3BotResult,
  V3Identification,
  V3IpInfo,
  V3Products,
  V3Visit,
  V3Webhook,
} from './types.js'
import { toV3Velocity } from './velocity-shapes.js'

/** Visitors are per app here: "global" (across every customer of a SaaS) has no meaning, so null. */
const seenAt = (us: number | null): SeenAt => ({ global: null, subscription: us === null ? null : isoOf(us) })

/** Unknown browser facts are empty strings: the v3 types make every one a required string. */
const s = (v: string | null) => v ?? ''

export function toV3Visit(
  row: VisitRow | HistoryRow,
  seen: { firstSeenAt: number; lastSeenAt: number | null },
): V3Visit {
  const d = details(row)
  const loc = ipLocation(row)
  const ident = 'identification' in row ? identification(row) : null
  const visit: V3Visit = {
    requestId: row.request_id,
    browserDetails: {
      browserName: s(d.browserName),
      browserMajorVersion: s(d.browserMajorVersion),
      browserFullVersion: s(d.browserFullVersion),
      os: s(d.os),
      osVersion: s(d.osVersion),
      device: s(d.device),
      userAgent: s(d.userAgent),
    },
    incognito: d.incognito,
    ip: row.ip,
    timestamp: msOf(row.ts),
    time: isoOf(row.ts),
    url: row.url,
    tag: tagObject(row.tag),
    // The engine's decision when the row has it; otherwise: did the visitor come before?
    visitorFound: ident?.path ? ident.path !== 'new' : seen.lastSeenAt !== null,
    firstSeenAt: seenAt(seen.firstSeenAt),
    lastSeenAt: seenAt(seen.lastSeenAt),
  }
  if (loc) visit.ipLocation = toV3Geolocation(loc)
  if (row.linked_id !== null) visit.linkedId = row.linked_id
  if (ident && typeof ident.confidence === 'number') visit.confidence = { score: ident.confidence }
  return visit
}

function v3Identification(ctx: EventContext): V3Identification {
  const { e } = ctx
  const links = candidates(identification(e.row))
  return {
    visitorId: e.row.visitor_id,
    ...toV3Visit(e.row, e),
    replayed: Boolean(ctx.bot.replayOf),
    suspect: e.row.suspect === 1,
    ...(links ? { candidates: links } : {}),
  }
}

/** bot_result is written from events/bot-result.ts; the good bot's type is derived again from the UA. */
function v3Botd(ctx: EventContext): V3Botd {
  const { row } = ctx.e
  const result: V3BotResult =
    row.bot_result === 'good' || row.bot_result === 'bad' ? row.bot_result : 'notDetected'
  const type = result === 'good' ? goodBotType(ctx) : undefined
  const botd: V3Botd = {
    bot: type ? { result, type } : { result },
    url: row.url,
    ip: row.ip,
    time: isoOf(row.ts),
    userAgent: ctx.details.userAgent ?? '',
    requestId: row.request_id,
  }
  if (row.tag !== null) botd.meta = tagObject(row.tag)
  if (row.linked_id !== null) botd.linkedId = row.linked_id
  return botd
}

function goodBotType(ctx: EventContext): string | undefined {
  return botResult(ctx.bot, ctx.details.userAgent).type
}

function smartSignals(sig: Signals, e: LoadedEvent): V3Products {
  const p: V3Products = {
    incognito: { data: { result: sig.incognito } },
    tampering: {
      data: {
        result: sig.tampering.result,
        confidence: sig.tampering.confidence,
        anomalyScore: sig.tampering.anomalyScore,
      },
    },
  }
  if (e.velocity) p.velocity = { data: toV3Velocity(e.velocity) }
  if (sig.vpn) p.vpn = { data: { ...sig.vpn, methods: { ...sig.vpn.methods } } }
  if (sig.virtualMachine !== null) p.virtualMachine = { data: { result: sig.virtualMachine } }
  if (sig.privacySettings !== null) p.privacySettings = { data: { result: sig.privacySettings } }
  if (sig.highActivity) p.highActivity = { data: sig.highActivity }
  p.suspectScore = { data: { result: sig.suspectScore } }
  return p
}

interface V3Parts {
  identification: V3Identification
  botd: V3Botd
  ipInfo: V3IpInfo | null
  signals: V3Products
}

function v3Parts(e: LoadedEvent): V3Parts {
  const ctx = context(e)
  const sig = signals(ctx)
  return {
    identification: v3Identification(ctx),
    botd: v3Botd(ctx),
    ipInfo: toV3IpInfo(ctx, sig.datacenter),
    signals: smartSignals(sig, e),
  }
}

export function toV3Event(e: LoadedEvent): { products: V3Products } {
  const parts = v3Parts(e)
  const products: V3Products = { identification: { data: parts.identification }, botd: { data: parts.botd } }
  if (parts.ipInfo) products.ipInfo = { data: parts.ipInfo }
  return { products: { ...products, ...parts.signals } }
}

/** The identification's fields at the top level, then each smart signal's data under its product name. */
export function toV3Webhook(e: LoadedEvent): V3Webhook {
  const { identification, botd, ipInfo, signals: p } = v3Parts(e)
  // The owner's suspect flag is set later through the API: a webhook never has it.
  const { suspect: _, ...id } = identification
  const hook: V3Webhook = {
    ...id,
    bot: botd.bot,
    userAgent: botd.userAgent,
    sdk: { platform: 'js', version: SERVER_VERSION },
  }
  if (ipInfo) hook.ipInfo = ipInfo
  if (p.vpn?.data) hook.vpn = p.vpn.data
  if (p.tampering?.data) hook.tampering = p.tampering.data
  if (p.privacySettings?.data) hook.privacySettings = p.privacySettings.data
  if (p.virtualMachine?.data) hook.virtualMachine = p.virtualMachine.data
  if (p.highActivity?.data) hook.highActivity = p.highActivity.data
  if (p.suspectScore?.data) hook.suspectScore = p.suspectScore.data
  if (p.velocity?.data) hook.velocity = p.velocity.data
  return hook
}
