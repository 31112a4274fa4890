import type { Kysely } from 'kysely'
import {
  type DistinctColumn,
  type Scope,
  type ScopeRow,
  scopeRows,
  VELOCITY_ROW_CAP,
  WINDOWS_US,
  type WindowCounts,
  windowCounts,
} from '../store/events.js'
import type { Database } from '../store/schema.js'
import type { VelocityCounts, Windows } from './loaded.js'

type Row = { visitor_id: string; ip: string; linked_id: string | null; ts: number }

/**
 * The windows a count can be served for: all when fewer than the cap were read; otherwise only those
 * the rows read reach past (the oldest row read is at or before the window's start).
 */
function windows(c: WindowCounts, counts: [number, number, number], end: number): Windows | null {
  const complete = (w: number) => c.rows < VELOCITY_ROW_CAP || (c.oldest !== null && c.oldest <= end - w)
  if (!complete(WINDOWS_US.h1)) return null
  const out: Windows = { m5: counts[0], h1: counts[1] }
  if (complete(WINDOWS_US.h24)) out.h24 = counts[2]
  return out
}

/** What windowCounts would answer for the window ending at `end`, counted from rows already read. */
function countRows(rows: ScopeRow[], end: number, distinct: DistinctColumn[]): WindowCounts {
  const starts = [end - WINDOWS_US.m5, end - WINDOWS_US.h1, end - WINDOWS_US.h24] as const
  const events: [number, number, number] = [0, 0, 0]
  const sets = distinct.map(() => [new Set<string>(), new Set<string>(), new Set<string>()] as const)
  let n = 0
  let oldest: number | null = null
  for (const r of rows) {
    if (r.ts > end) continue
    if (r.ts <= starts[2] || n === VELOCITY_ROW_CAP) break
    n++
    oldest = r.ts
    for (let w = 0; w < 3; w++) {
      if (r.ts <= starts[w]!) continue
      events[w]!++
      for (const [i, v] of r.values.entries()) if (v !== null) sets[i]![w]!.add(v)
    }
  }
  const distinctCounts = Object.fromEntries(
    distinct.map((d, i) => [d, sets[i]!.map((s) => s.size) as [number, number, number]]),
  )
  return { rows: n, oldest, events, distinct: distinctCounts }
}

const SCOPES: { column: Scope['column']; of: (r: Row) => string | null; distinct: DistinctColumn[] }[] = [
  { column: 'visitor_id', of: (r) => r.visitor_id, distinct: ['ip', 'linked_id', 'country'] },
  { column: 'ip', of: (r) => r.ip, distinct: [] },
  { column: 'linked_id', of: (r) => r.linked_id, distinct: ['ip', 'visitor_id'] },
]

/**
 * Each event's counts for one scope. Events sharing a value whose 24-hour windows overlap are
 * counted from one read of their visits; an event that read did not fully cover (more visits than
 * one read holds) is counted on its own, so the answer is the same either way.
 */
async function scopeCounts(
  db: Kysely<Database>,
  appId: string,
  rows: Row[],
  scope: (typeof SCOPES)[number],
): Promise<(WindowCounts | null)[]> {
  const out = new Array<WindowCounts | null>(rows.length).fill(null)
  if (scope.distinct.length === 0) {
    // Counting alone (an address's events): an aggregate over the index beats reading rows back,
    // which matters for busy addresses (offices, carriers' NAT).
    for (const [i, r] of rows.entries()) {
      const v = scope.of(r)
      if (v !== null)
        out[i] = await windowCounts(db, appId, { column: scope.column, value: v }, Number(r.ts), [])
    }
    return out
  }
  const groups = new Map<string, number[]>()
  for (const [i, r] of rows.entries()) {
    const v = scope.of(r)
    if (v !== null) groups.set(v, [...(groups.get(v) ?? []), i])
  }
  for (const [value, members] of groups) {
    const byTime = members.sort((a, b) => Number(rows[b]!.ts) - Number(rows[a]!.ts))
    // Clusters of events (newest first) whose windows overlap the cluster's.
    const clusters: number[][] = []
    for (const i of byTime) {
      const last = clusters.at(-1)
      const lastEnd = last ? Number(rows[last.at(-1)!]!.ts) : null
      if (last && lastEnd !== null && lastEnd - Number(rows[i]!.ts) < WINDOWS_US.h24) last.push(i)
      else clusters.push([i])
    }
    for (const cluster of clusters) {
      const to = Number(rows[cluster[0]!]!.ts)
      const from = Number(rows[cluster.at(-1)!]!.ts) - WINDOWS_US.h24
      const read = await scopeRows(
        db,
        appId,
        { column: scope.column, value },
        from,
        to,
        scope.distinct,
        VELOCITY_ROW_CAP,
      )
      const truncated = read.length === VELOCITY_ROW_CAP
      const oldestRead = read.at(-1)?.ts ?? null
      for (const i of cluster) {
        const end = Number(rows[i]!.ts)
        // Covered when the read holds every row of the window, or at least the cap's worth of its newest.
        const covered =
          !truncated ||
          (oldestRead !== null && oldestRead <= end - WINDOWS_US.h24) ||
          read.filter((r) => r.ts <= end).length >= VELOCITY_ROW_CAP
        out[i] = covered
          ? countRows(read, end, scope.distinct)
          : await windowCounts(db, appId, { column: scope.column, value }, end, scope.distinct)
      }
    }
  }
  return out
}

/** Velocity of each visit: its visitor's, its IP's and its linked id's activity in the windows ending at it. */
export async function computeVelocities(
  db: Kysely<Database>,
  appId: string,
  rows: Row[],
): Promise<VelocityCounts[]> {
  const [visitor, ip, linked] = [
    await scopeCounts(db, appId, rows, SCOPES[0]!),
    await scopeCounts(db, appId, rows, SCOPES[1]!),
    await scopeCounts(db, appId, rows, SCOPES[2]!),
  ]
  return rows.map((row, i) => {
    const end = Number(row.ts)
    const w = (c: WindowCounts | null | undefined, counts: [number, number, number] | undefined) =>
      c && counts ? windows(c, counts, end) : null
    const v = visitor[i]
    const l = linked[i]
    return {
      distinctIp: w(v, v?.distinct.ip),
      distinctLinkedId: w(v, v?.distinct.linked_id),
      distinctCountry: w(v, v?.distinct.country),
      events: w(v, v?.events),
      ipEvents: w(ip[i], ip[i]?.events),
      distinctIpByLinkedId: w(l, l?.distinct.ip),
      distinctVisitorIdByLinkedId: w(l, l?.distinct.visitor_id),
    }
  })
}
