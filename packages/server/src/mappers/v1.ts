import { bot, details, ipLocation, raw } from '../store/json.js'
import type { HistoryRow, VisitRow } from '../store/visits.js'
import { isoMicros } from './dates.js'

const parseJson = (s: string | null): unknown => (s === null ? null : JSON.parse(s))

/** One visit exactly as the spec's `GET /v1/visitors/:id` shows it, keys in the spec's order. */
export function toV1Visit(row: HistoryRow) {
  const d = details(row)
  const b = bot(row)
  return {
    tag: parseJson(row.tag),
    visitorId: row.visitor_id,
    fingerprint: row.fingerprint,
    timestamp: isoMicros(Number(row.ts)),
    url: row.url,
    ip: row.ip,
    ipLocation: ipLocation(row),
    visitorDetails: {
      browserFullVersion: d.browserFullVersion,
      browserSaysItsBot: b.browserSaysItsBot ?? false,
      browserMajorVersion: d.browserMajorVersion,
      browserName: d.browserName,
      browserPlatformName: d.browserPlatformName,
      browserPlatformVersion: d.browserPlatformVersion,
      browserWebkitFullVersion: d.browserWebkitFullVersion,
      browserHeadless: b.browserHeadless ?? false,
      botProbability: b.botProbability ?? 0,
    },
  }
}

/**
 * Everything Sightline knows about one identification: the spec's fields, plus why it matched
 * (identification path, confidence, reasons), the bot verdict with its signals, and the raw signals.
 */
export function toVisitDetail(row: VisitRow) {
  return {
    requestId: row.request_id,
    ...toV1Visit(row),
    linkedId: row.linked_id,
    identification: raw(row.identification),
    bot: raw(row.bot),
    userAgentDetails: raw(row.visitor_details),
    components: raw(row.components),
  }
}
