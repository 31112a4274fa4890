import { countries } from 'countries-list'
import type { Count, Place, VisitorRow, VisitSummary } from '../dashboard/api-types.js'
import type { DaySummary } from '../schemas/stored.js'
import { bot, candidates, details, identification, ipLocation, raw } from '../store/json.js'
import type { VisitRow } from '../store/visits.js'
import { isoOf } from './dates.js'
import { tagObject } from './event.js'

type BotResult = VisitRow['bot_result'] & ('notDetected' | 'good' | 'bad')
const botResult = (s: string): BotResult => (s === 'good' || s === 'bad' ? s : 'notDetected')

export const countryName = (code: string) =>
  code === '' ? 'Unknown' : ((countries as Record<string, { name: string } | undefined>)[code]?.name ?? code)

function place(row: VisitRow): Place {
  const loc = ipLocation(row)
  return {
    city: loc?.city?.name ?? null,
    country: loc?.country?.name ?? null,
    countryCode: loc?.country?.isoCode ?? null,
    latitude: loc?.latitude ?? null,
    longitude: loc?.longitude ?? null,
  }
}

export function toVisitorRow(row: VisitRow): VisitorRow {
  const d = details(row)
  return {
    visitorId: row.visitor_id,
    lastSeen: isoOf(row.ts),
    requestId: row.request_id,
    ip: row.ip,
    place: place(row),
    browser: d.browserName,
    os: d.os,
    bot: botResult(row.bot_result),
    linkedId: row.linked_id,
  }
}

const LEADS: Record<string, (matched: number, differed: number) => string> = {
  storedId: () => 'Recognised by the identifier this browser had stored.',
  fingerprint: () =>
    'Recognised by its exact fingerprint: this browser came back without its stored identifier.',
  fuzzy: (m, d) =>
    `Recognised by a close fingerprint: ${m} components matched and ${d} changed, and nothing it stored came back.`,
  new: () =>
    'A new visitor: no valid stored identifier came back, and no earlier visitor matched surely enough.',
}

/** The engine's reasons that only repeat the lead sentence. */
const SAID_BY_LEAD = new Set(['valid stored identifier', 'exact fingerprint match', 'new visitor'])

const sentence = (s: string) => (s ? `${s[0]!.toUpperCase()}${s.slice(1)}${/[.!?]$/.test(s) ? '' : '.'}` : s)

export function toVisitSummary(row: VisitRow): VisitSummary {
  const d = details(row)
  const b = bot(row)
  const id = identification(row)
  const path = id.path ?? 'new'
  const matched = id.matched ?? []
  const differed = (id.differed ?? []).map((x) => ({ component: x.component, why: x.why }))
  const lead = LEADS[path]?.(matched.length, differed.length) ?? `Identified by: ${path}.`
  return {
    requestId: row.request_id,
    time: isoOf(row.ts),
    url: row.url,
    ip: row.ip,
    place: place(row),
    network: d.asn ? `AS${d.asn.asn} ${d.asn.name}` : null,
    browser: [d.browserName, d.browserMajorVersion].filter(Boolean).join(' ') || null,
    os: [d.os, d.osVersion].filter(Boolean).join(' ') || null,
    device: d.device,
    incognito: d.incognito,
    bot: {
      result: botResult(row.bot_result),
      probability: b.botProbability ?? 0,
      reasons: (b.reasons ?? []).map((r) => r.signal),
    },
    linkedId: row.linked_id,
    tag: row.tag === null ? null : tagObject(row.tag),
    identification: {
      path,
      confidence: id.confidence ?? null,
      explanation: [lead, ...(id.reasons ?? []).filter((r) => !SAID_BY_LEAD.has(r)).map(sentence)],
      matched,
      differed,
      // The visitor this visit was given is not a probable *earlier* visitor of it.
      candidates: (candidates(id) ?? []).filter((c) => c.visitorId !== row.visitor_id),
    },
  }
}

/** A visit row with its JSON columns parsed: the visit page's raw view. */
export function rawVisit(row: VisitRow): Record<string, unknown> {
  return {
    ...row,
    ip_location: row.ip_location === null ? null : raw(row.ip_location),
    visitor_details: raw(row.visitor_details),
    components: raw(row.components),
    identification: raw(row.identification),
    bot: raw(row.bot),
    tag: row.tag === null ? null : tagObject(row.tag),
  }
}

/** Counts summed over days, largest first. */
export function topCounts(
  summaries: DaySummary[],
  pick: (s: DaySummary) => Record<string, number>,
  name: (key: string) => string = (k) => k || 'Unknown',
  limit = 50,
): Count[] {
  const sum = new Map<string, number>()
  for (const s of summaries) for (const [k, n] of Object.entries(pick(s))) sum.set(k, (sum.get(k) ?? 0) + n)
  return [...sum]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .slice(0, limit)
    .map(([key, visits]) => ({ key, name: name(key), visits }))
}
