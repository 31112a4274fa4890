import { botResult } from '../events/bot-result.js'
import type { EventContext } from '../events/context.js'
import type { LoadedEvent } from '../events/loaded.js'
import type { Signals } from '../events/signals.js'
import type { V3Botd, V3BotResult, V3Identification, V3IpInfo, V3Products, V3Visit } from '../events/types.js'
import { candidates, details, identification, ipLocation } from '../store/json.js'
import type { HistoryRow, VisitRow } from '../store/visits.js'
import { isoOf, msOf, seenAt } from './dates.js'
import { buildEvent, tagObject } from './event.js'
import { toV3Geolocation } from './geolocation.js'
import { toV3IpInfo } from './ip-info.js'
import { toV3Velocity } from './velocity.js'

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

export interface V3Parts {
  identification: V3Identification
  botd: V3Botd
  ipInfo: V3IpInfo | null
  signals: V3Products
}

export function v3Parts(e: LoadedEvent): V3Parts {
  const { ctx, sig } = buildEvent(e)
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
