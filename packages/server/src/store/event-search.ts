import { isIPv4, isIPv6 } from 'node:net'
import type { Expression, ExpressionBuilder, Kysely, SelectQueryBuilder, SqlBool } from 'kysely'
import { isPostgres } from './db.js'
import { previousVisits } from './events.js'
import type { Database } from './schema.js'
import { FIRST_SEEN_SLACK_US, type VisitRow, visitorFirstSeen } from './visits.js'

/** An address range: `version`, its bytes (4 or 16) and how many leading bits are fixed. */
export interface Cidr {
  version: 4 | 6
  bytes: number[]
  prefix: number
}

export type BotFilter = 'all' | 'good' | 'bad' | 'none'

/** What an event search filters on; times are µs, `start` inclusive, `end` exclusive. */
export interface SearchFilter {
  visitorId?: string | undefined
  linkedId?: string | undefined
  ip?: Cidr | undefined
  bot?: BotFilter | undefined
  start?: number | undefined
  end?: number | undefined
  suspect?: boolean | undefined
  /** Oldest first. */
  reverse?: boolean | undefined
}

/** A position in (ts, request_id) order: pages continue after it. */
export interface Cursor {
  ts: number
  requestId: string
}

export interface SearchPage {
  rows: VisitRow[]
  /** Where the next page starts; absent on the last page. */
  next?: Cursor
}

// ---- addresses -------------------------------------------------------------------------------

function ipv4Bytes(s: string): number[] | null {
  if (!isIPv4(s)) return null
  return s.split('.').map(Number)
}

function ipv6Bytes(s: string): number[] | null {
  const addr = s.split('%')[0] ?? ''
  if (!isIPv6(addr)) return null
  let text = addr.toLowerCase()
  const tail: number[] = []
  const dotted = /:(\d{1,3}(?:\.\d{1,3}){3})$/.exec(text)
  if (dotted?.[1]) {
    const v4 = ipv4Bytes(dotted[1])
    if (!v4) return null
    tail.push(...v4)
    text = `${text.slice(0, dotted.index + 1)}0:0`
  }
  const [head = '', rest] = text.split('::')
  const groups = (p: string | undefined) => (p ? p.split(':').map((g) => Number.parseInt(g, 16)) : [])
  const h = groups(head)
  const r = groups(rest)
  const all = rest === undefined ? h : [...h, ...Array<number>(8 - h.length - r.length).fill(0), ...r]
  if (all.length !== 8 || all.some((g) => !Number.isInteger(g) || g < 0 || g > 0xffff)) return null
  const bytes = all.flatMap((g) => [g >> 8, g & 0xff])
  if (tail.length) bytes.splice(12, 4, ...tail)
  return bytes
}

/** An address as bytes (IPv4-mapped IPv6 as the IPv4 address it carries), or null. */
export function addressBytes(s: string): { version: 4 | 6; bytes: number[] } | null {
  const v4 = ipv4Bytes(s)
  if (v4) return { version: 4, bytes: v4 }
  const v6 = ipv6Bytes(s)
  if (!v6) return null
  if (v6.slice(0, 10).every((b) => b === 0) && v6[10] === 0xff && v6[11] === 0xff) {
    return { version: 4, bytes: v6.slice(12) }
  }
  return { version: 6, bytes: v6 }
}

/**
 * `10.0.0.0/8`, `2001:db8::/32`, or a plain address (a /32 or /128). An IPv4-mapped IPv6 range of
 * /96 or more is the IPv4 range it maps, since visits store those clients as IPv4. Null when malformed.
 */
export function parseCidr(s: string): Cidr | null {
  const m = /^([^/]+)(?:\/(\d{1,3}))?$/.exec(s.trim())
  if (!m?.[1]) return null
  const addr = addressBytes(m[1])
  if (!addr) return null
  const mapped = addr.version === 4 && m[1].includes(':')
  const max = mapped ? 128 : addr.version === 4 ? 32 : 128
  const prefix = m[2] === undefined ? max : Number(m[2])
  if (prefix > max) return null
  if (mapped) {
    if (prefix < 96) return null
    return { version: 4, bytes: addr.bytes, prefix: prefix - 96 }
  }
  return { version: addr.version, bytes: addr.bytes, prefix }
}

export function cidrContains(c: Cidr, ip: string): boolean {
  const a = addressBytes(ip)
  if (!a || a.version !== c.version) return false
  for (let bit = 0; bit < c.prefix; bit += 8) {
    const take = Math.min(8, c.prefix - bit)
    const mask = (0xff << (8 - take)) & 0xff
    const i = bit / 8
    if (((a.bytes[i] ?? 0) & mask) !== ((c.bytes[i] ?? 0) & mask)) return false
  }
  return true
}

/** The forms a single address is stored in (the client's socket address, canonical). */
function addressTexts(c: Cidr): string[] {
  if (c.version === 4) return [c.bytes.join('.')]
  const groups = Array.from({ length: 8 }, (_, i) => ((c.bytes[2 * i] ?? 0) << 8) | (c.bytes[2 * i + 1] ?? 0))
  const hex = groups.map((g) => g.toString(16)).join(':')
  // RFC 5952 text, as Node reports socket addresses; the URL parser writes exactly that.
  const canonical = new URL(`http://[${hex}]/`).hostname.slice(1, -1)
  const texts = [canonical]
  if (groups.slice(0, 6).every((g) => g === 0) && groups[6] !== 0) {
    texts.push(`::${c.bytes.slice(12).join('.')}`) // the deprecated IPv4-compatible form
  }
  return texts
}

/** How SQL narrows an address filter; `exact` when SQL alone decides it. */
interface IpPlan {
  op: 'in' | 'like' | 'not like' | 'prefix'
  value: string[] | string
  exact: boolean
}

/**
 * A single address uses visits_app_ip; an IPv4 range on octet boundaries is a text prefix; anything
 * else is narrowed by version (and whole octets) in SQL and checked in JS.
 */
function ipPlan(c: Cidr, postgres: boolean): IpPlan {
  const full = c.version === 4 ? 32 : 128
  if (c.prefix === full) return { op: 'in', value: addressTexts(c), exact: true }
  if (c.version === 6) return { op: 'like', value: '%:%', exact: c.prefix === 0 }
  const octets = Math.floor(c.prefix / 8)
  if (octets === 0) return { op: 'not like', value: '%:%', exact: c.prefix === 0 }
  const prefix = `${c.bytes.slice(0, octets).join('.')}.`
  // SQLite compares text bytewise, so a range can use visits_app_ip; PostgreSQL's collation may not.
  return {
    op: postgres ? 'like' : 'prefix',
    value: postgres ? `${prefix}%` : prefix,
    exact: c.prefix % 8 === 0,
  }
}

function ipCondition(eb: ExpressionBuilder<Database, 'visits'>, p: IpPlan): Expression<SqlBool> {
  if (p.op === 'in') return eb('ip', 'in', p.value as string[])
  if (p.op === 'prefix') {
    // Dotted text starting with the prefix sorts between it and the prefix with '.' raised to '/'.
    const lo = p.value as string
    return eb.and([eb('ip', '>=', lo), eb('ip', '<', `${lo.slice(0, -1)}/`)])
  }
  return eb('ip', p.op, p.value as string)
}

// ---- cursors ---------------------------------------------------------------------------------

/** Opaque to clients: base64url of `<ts µs>_<requestId>`. */
export const encodeCursor = (c: Cursor) => Buffer.from(`${c.ts}_${c.requestId}`).toString('base64url')

export function decodeCursor(key: string): Cursor | null {
  if (!/^[A-Za-z0-9_-]{1,80}$/.test(key)) return null
  const m = /^(\d{1,17})_([!-~]{1,64})$/.exec(Buffer.from(key, 'base64url').toString('latin1'))
  if (!m?.[1] || !m[2]) return null
  return { ts: Number(m[1]), requestId: m[2] }
}

const cursorOf = (r: Pick<VisitRow, 'ts' | 'request_id'>): Cursor => ({
  ts: Number(r.ts),
  requestId: r.request_id,
})

// ---- search ----------------------------------------------------------------------------------

/** Rows read per round when an address range is checked in JS, and at most this many per request. */
const SCAN_BATCH = 500
const SCAN_BUDGET = 10_000
/** An address range holding at most this many of an app's visits is read whole and ordered in JS. */
const SPARSE_RANGE = 50_000

type VisitsQuery<O> = SelectQueryBuilder<Database, 'visits', O>

/** After `c` in the page order: newest first unless `reverse`. */
function afterCursor<O>(q: VisitsQuery<O>, c: Cursor, reverse: boolean): VisitsQuery<O> {
  // The plain bound on ts lets PostgreSQL skip partitions; the tuple orders ties.
  return reverse
    ? q
        .where('ts', '>=', c.ts)
        .where(({ eb, refTuple, tuple }) => eb(refTuple('ts', 'request_id'), '>', tuple(c.ts, c.requestId)))
    : q
        .where('ts', '<=', c.ts)
        .where(({ eb, refTuple, tuple }) => eb(refTuple('ts', 'request_id'), '<', tuple(c.ts, c.requestId)))
}

const BOT_RESULTS: Record<BotFilter, string[]> = {
  all: ['good', 'bad'],
  good: ['good'],
  bad: ['bad'],
  none: ['notDetected'],
}

function filtered<O>(
  q: VisitsQuery<O>,
  appId: string,
  f: SearchFilter,
  floor: number | undefined,
  postgres: boolean,
  ordered = true,
) {
  let out = q.where('app_id', '=', appId)
  if (f.visitorId !== undefined) out = out.where('visitor_id', '=', f.visitorId)
  if (f.linkedId !== undefined) out = out.where('linked_id', '=', f.linkedId)
  if (f.bot) {
    out = out.where('bot_result', 'in', BOT_RESULTS[f.bot])
    // Spelled as the partial index visits_app_bots says it, so SQLite sees the index applies.
    if (f.bot !== 'none') out = out.where('bot_result', '<>', 'notDetected')
  }
  if (f.suspect !== undefined) out = out.where('suspect', '=', f.suspect ? 1 : 0)
  const lo = Math.max(f.start ?? 0, floor ?? 0)
  if (lo > 0) out = out.where('ts', '>=', lo)
  if (f.end !== undefined) out = out.where('ts', '<', f.end)
  if (f.ip) {
    const plan = ipPlan(f.ip, postgres)
    out = out.where((eb) => ipCondition(eb, plan))
  }
  if (!ordered) return out
  const dir = f.reverse ? 'asc' : 'desc'
  return out.orderBy('ts', dir).orderBy('request_id', dir)
}

/**
 * One page of an app's visits matching `f`, through the index the filter names (visitor, linked id,
 * address, else app and time). An address range that SQL cannot express is checked in JS over
 * batches, at most SCAN_BUDGET rows per call: a page may then hold fewer than `limit` visits and
 * still have a `next`, as the commercial API's scan-then-filter pagination does.
 */
export async function searchVisits(
  db: Kysely<Database>,
  appId: string,
  f: SearchFilter,
  limit: number,
  after?: Cursor,
  scan = { batch: SCAN_BATCH, budget: SCAN_BUDGET },
): Promise<SearchPage> {
  let floor: number | undefined
  if (f.visitorId !== undefined) {
    const first = await visitorFirstSeen(db, appId, f.visitorId)
    if (first === null) return { rows: [] }
    floor = first - FIRST_SEEN_SLACK_US
  }
  const reverse = f.reverse === true
  const base = (c: Cursor | undefined) => {
    const q = filtered(db.selectFrom('visits'), appId, f, floor, isPostgres(db))
    return c ? afterCursor(q, c, reverse) : q
  }
  const ip = f.ip
  if (!ip || ipPlan(ip, isPostgres(db)).exact) {
    const rows = await base(after)
      .selectAll()
      .limit(limit + 1)
      .execute()
    const page = rows.slice(0, limit)
    const last = page.at(-1)
    return rows.length > limit && last ? { rows: page, next: cursorOf(last) } : { rows: page }
  }
  const found = await scanRange((c) => base(c).select(['ts', 'request_id', 'ip']), ip, limit, after, scan)
  const rows = await loadRows(db, appId, found.matches)
  return found.next ? { rows, next: found.next } : { rows }
}

type Key = Pick<VisitRow, 'ts' | 'request_id'>

/**
 * Visitors whose visits match `f`, each once, on its newest matching visit, newest first (the
 * dashboard's visitor list). Reads only keys until `limit` visitors are found or `budget` visits
 * were read, then the full rows of the visits it keeps; `next` continues after the last visit read.
 */
export async function searchVisitors(
  db: Kysely<Database>,
  appId: string,
  f: SearchFilter,
  limit: number,
  after?: Cursor,
  budget = 5000,
  sparse = SPARSE_RANGE,
): Promise<SearchPage> {
  let floor: number | undefined
  if (f.visitorId !== undefined) {
    const first = await visitorFirstSeen(db, appId, f.visitorId)
    if (first === null) return { rows: [] }
    floor = first - FIRST_SEEN_SLACK_US
  }
  const postgres = isPostgres(db)
  const plan = f.ip ? ipPlan(f.ip, postgres) : null
  const keep: Key[] = []
  const seen = new Set<string>()
  let pos = after
  let scanned = 0
  if (plan && (plan.op === 'prefix' || plan.op === 'like') && f.ip?.version === 4) {
    // An address range: walking the app's visits by time would read them all when few match. Read
    // the range through visits_app_ip instead, unordered; when it holds few visits, order them here.
    const probe = await filtered(db.selectFrom('visits'), appId, f, floor, postgres, false)
      .select(['ts', 'request_id', 'visitor_id', 'ip'])
      .limit(sparse + 1)
      .execute()
    if (probe.length <= sparse) {
      const newer = (r: Key) =>
        !after || Number(r.ts) < after.ts || (Number(r.ts) === after.ts && r.request_id < after.requestId)
      const rows = probe
        .filter((r) => newer(r) && (plan.exact || cidrContains(f.ip!, r.ip)))
        .sort((a, b) => Number(b.ts) - Number(a.ts) || (a.request_id < b.request_id ? 1 : -1))
      for (const r of rows) {
        if (seen.has(r.visitor_id)) continue
        seen.add(r.visitor_id)
        keep.push(r)
        if (keep.length >= limit) break
      }
      const last = keep.at(-1)
      const more = last !== undefined && keep.length >= limit && rows.at(-1) !== last
      return { rows: await loadRows(db, appId, keep), ...(more ? { next: cursorOf(last) } : {}) }
    }
  }
  const batchSize = 500
  while (scanned < budget) {
    const q = filtered(db.selectFrom('visits'), appId, { ...f, reverse: false }, floor, postgres)
    const batch = await (pos ? afterCursor(q, pos, false) : q)
      .select(['ts', 'request_id', 'visitor_id', 'ip'])
      .limit(batchSize)
      .execute()
    scanned += batch.length
    for (const r of batch) {
      pos = cursorOf(r)
      if (plan && !plan.exact && !cidrContains(f.ip!, r.ip)) continue
      if (seen.has(r.visitor_id)) continue
      seen.add(r.visitor_id)
      keep.push(r)
      if (keep.length >= limit) return { rows: await loadRows(db, appId, keep), next: pos }
    }
    if (batch.length < batchSize) return { rows: await loadRows(db, appId, keep) }
  }
  const rows = await loadRows(db, appId, keep)
  return pos ? { rows, next: pos } : { rows }
}

/**
 * Reads rows after `after` in batches and keeps those in `range`, until `limit` are found, the rows
 * run out, or `scan.budget` rows were read; `next` is where a further page starts.
 */
async function scanRange(
  query: (c: Cursor | undefined) => { limit(n: number): { execute(): Promise<(Key & { ip: string })[]> } },
  range: Cidr,
  limit: number,
  after: Cursor | undefined,
  scan: { batch: number; budget: number },
): Promise<{ matches: Key[]; next?: Cursor }> {
  const matches: Key[] = []
  let pos = after
  let scanned = 0
  while (scanned < scan.budget) {
    const batch = await query(pos).limit(scan.batch).execute()
    scanned += batch.length
    for (const r of batch) {
      if (cidrContains(range, r.ip)) matches.push(r)
      // One match past the limit says another page exists; it starts after the last one kept.
      if (matches.length > limit)
        return { matches: matches.slice(0, limit), next: cursorOf(matches[limit - 1]!) }
      pos = cursorOf(r)
    }
    if (batch.length < scan.batch) return { matches }
  }
  return pos ? { matches, next: pos } : { matches }
}

/** Full rows for these visits, in the same order. */
async function loadRows(db: Kysely<Database>, appId: string, keys: Pick<VisitRow, 'ts' | 'request_id'>[]) {
  if (keys.length === 0) return []
  const tss = keys.map((k) => Number(k.ts))
  const rows = await db
    .selectFrom('visits')
    .selectAll()
    .where('app_id', '=', appId)
    .where(
      'request_id',
      'in',
      keys.map((k) => k.request_id),
    )
    .where('ts', '>=', Math.min(...tss))
    .where('ts', '<=', Math.max(...tss))
    .execute()
  const byId = new Map(rows.map((r) => [r.request_id, r]))
  return keys.flatMap((k) => byId.get(k.request_id) ?? [])
}

// ---- a visitor's visits (v3 GET /visitors/:id) ------------------------------------------------

export interface VisitorVisitsQuery {
  limit: number
  /** Continue after this visit (the previous page's last requestId). */
  after?: Cursor | undefined
  /** Only visits before this time (µs). */
  before?: number | undefined
  requestId?: string | undefined
  linkedId?: string | undefined
}

export interface VisitorVisits {
  firstSeenAt: number
  /** Newest first, each with the time of the visitor's visit before it (null for its first). */
  visits: { row: VisitRow; previous: number | null }[]
  more: boolean
}

/** A page of the visitor's visits, newest first; null when the app has no such visitor. */
export async function visitorVisits(
  db: Kysely<Database>,
  appId: string,
  visitorId: string,
  q: VisitorVisitsQuery,
): Promise<VisitorVisits | null> {
  const first = await visitorFirstSeen(db, appId, visitorId)
  if (first === null) return null
  const floor = first - FIRST_SEEN_SLACK_US
  let query = db
    .selectFrom('visits')
    .selectAll()
    .where('app_id', '=', appId)
    .where('visitor_id', '=', visitorId)
    .where('ts', '>=', floor)
  if (q.before !== undefined) query = query.where('ts', '<', q.before)
  if (q.after) query = afterCursor(query, q.after, false)
  const filteredBy = q.requestId !== undefined || q.linkedId !== undefined
  if (q.requestId !== undefined) query = query.where('request_id', '=', q.requestId)
  if (q.linkedId !== undefined) query = query.where('linked_id', '=', q.linkedId)
  const rows = await query
    .orderBy('ts', 'desc')
    .orderBy('request_id', 'desc')
    .limit(q.limit + 1)
    .execute()
  const page = rows.slice(0, q.limit)
  // Unfiltered, the next row is the previous visit; filters skip visits, so look those up.
  const looked = filteredBy
    ? await previousVisits(
        db,
        appId,
        page.map((r) => ({ requestId: r.request_id, ts: Number(r.ts) })),
        floor,
      )
    : null
  const visits = page.map((row, i) => {
    const next = rows[i + 1]
    const previous = looked ? (looked.get(row.request_id) ?? null) : next ? Number(next.ts) : null
    return { row, previous }
  })
  return { firstSeenAt: first, visits, more: rows.length > q.limit }
}

export const visitCursor = cursorOf

/** The position of a visit given by its request id, for `paginationKey`: its (ts, id), or its millisecond. */
export async function cursorForRequest(db: Kysely<Database>, appId: string, requestId: string) {
  const ms = /^(\d{13})\./.exec(requestId)?.[1]
  if (!ms) return null
  const row = await db
    .selectFrom('visits')
    .select(['ts', 'request_id'])
    .where('app_id', '=', appId)
    .where('request_id', '=', requestId)
    .where('ts', '>=', Number(ms) * 1000)
    .where('ts', '<', (Number(ms) + 1) * 1000)
    .executeTakeFirst()
  return row ? cursorOf(row) : { ts: Number(ms) * 1000, requestId }
}
