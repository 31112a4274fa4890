import type { Kysely } from 'kysely'
import { type LoadedEvent, loadEvents } from '../events/index.js'
import {
  type BotFilter,
  type Cursor,
  decodeCursor,
  encodeCursor,
  parseCidr,
  type SearchFilter,
  searchVisits,
} from '../store/event-search.js'
import type { Database } from '../store/schema.js'
import { HttpError } from './errors.js'
import { LINKED_ID_MAX } from './server-api.js'

/** The search parameters both API versions share (v4 also takes RFC 3339 times). */
export interface SearchQuery {
  limit?: number
  pagination_key?: string
  visitor_id?: string
  linked_id?: string
  ip_address?: string
  bot?: BotFilter
  start?: number | string
  end?: number | string
  reverse?: boolean
  suspect?: boolean
}

export const SEARCH_LIMIT_MAX = 100
const MS = '^\\d{1,15}$'
const RFC3339 = '^\\d{4}-\\d{2}-\\d{2}[Tt ]\\d{2}:\\d{2}:\\d{2}(\\.\\d{1,9})?([Zz]|[+-]\\d{2}:\\d{2})$'

/** The query schema; parameters it does not name (the SDKs' `ii`, other filters) are ignored. */
export function searchQuerySchema(version: 'v3' | 'v4') {
  const time = (what: string) =>
    version === 'v3'
      ? { type: 'integer', minimum: 0, maximum: 8.64e15, description: `${what}, Unix milliseconds` }
      : {
          type: 'string',
          anyOf: [{ pattern: MS }, { pattern: RFC3339 }],
          description: `${what}, Unix milliseconds or RFC 3339`,
        }
  return {
    type: 'object',
    required: version === 'v3' ? ['limit'] : [],
    properties: {
      limit: {
        type: 'integer',
        minimum: 1,
        maximum: SEARCH_LIMIT_MAX,
        ...(version === 'v4' ? { default: 10 } : {}),
        description: 'events per page',
      },
      pagination_key: { type: 'string', maxLength: 100, description: 'from the previous page (opaque)' },
      visitor_id: { type: 'string', maxLength: 64 },
      linked_id: { type: 'string', maxLength: LINKED_ID_MAX },
      ip_address: {
        type: 'string',
        maxLength: 64,
        description: 'an address or CIDR range, IPv4 or IPv6: 10.0.0.0/8, 2001:db8::/32, 192.0.2.1',
      },
      bot: {
        type: 'string',
        enum: ['all', 'good', 'bad', 'none'],
        description: 'all: any bot; good; bad; none: no bot detected',
      },
      start: time('events at or after this time'),
      end: time('events at or before this time'),
      reverse: { type: 'boolean', description: 'oldest first' },
      suspect: { type: 'boolean', description: 'events marked (true) or not marked (false) suspect' },
    },
  }
}

const bad = (message: string) => new HttpError(400, 'RequestCannotBeParsed', message)

/** ms since the epoch from a number, digits, or RFC 3339 text. */
function millis(v: number | string | undefined, name: string): number | undefined {
  if (v === undefined) return undefined
  if (typeof v === 'number') return v
  if (/^\d+$/.test(v)) return Number(v)
  const ms = Date.parse(v)
  if (Number.isNaN(ms)) throw bad(`invalid querystring.${name}: not a valid time`)
  return ms
}

export function toFilter(q: SearchQuery): { filter: SearchFilter; after: Cursor | undefined } {
  let after: Cursor | undefined
  if (q.pagination_key !== undefined) {
    const c = decodeCursor(q.pagination_key)
    if (!c) throw bad('invalid querystring.pagination_key: use the value of a previous answer')
    after = c
  }
  const filter: SearchFilter = {
    visitorId: q.visitor_id,
    linkedId: q.linked_id,
    bot: q.bot,
    suspect: q.suspect,
    reverse: q.reverse,
  }
  if (q.ip_address !== undefined) {
    const ip = parseCidr(q.ip_address)
    if (!ip) throw bad('invalid querystring.ip_address: must be an IPv4 or IPv6 address or CIDR range')
    filter.ip = ip
  }
  const start = millis(q.start, 'start')
  const end = millis(q.end, 'end')
  if (start !== undefined && end !== undefined && start > end) {
    throw bad('invalid querystring: start is after end')
  }
  // Whole milliseconds, both ends included.
  if (start !== undefined) filter.start = start * 1000
  if (end !== undefined) filter.end = (end + 1) * 1000
  return { filter, after }
}

/** One page of matching events, newest first unless `reverse`, and the key of the next page. */
export async function searchEvents(
  db: Kysely<Database>,
  appId: string,
  q: SearchQuery,
  limit: number,
): Promise<{ events: LoadedEvent[]; next: string | undefined }> {
  const { filter, after } = toFilter(q)
  const page = await searchVisits(db, appId, filter, limit, after)
  const events = await loadEvents(db, appId, page.rows)
  return { events, next: page.next ? encodeCursor(page.next) : undefined }
}
