import type { Kysely } from 'kysely'
import type { Candidate } from '../identify/engine.js'
import { FREQUENCY_MAX_KEYS } from '../identify/frequency.js'
import {
  CLAIM_WINDOW_US,
  DAY_US,
  EXACT_LIMIT,
  type IdentityStore,
  PER_PART,
  type ValueCounts,
} from '../identify/port.js'
import type { Profile, StoredProfile } from '../identify/profile.js'

export type { StoredProfile }

import { marks, statement, statementFor } from './prepared.js'
import type { Database } from './schema.js'

export { CLAIM_WINDOW_US }

const parse = (s: string | null): StoredProfile | null => (s ? (JSON.parse(s) as StoredProfile) : null)

const LOAD_PROFILE = statement<{ profile: string | null }>(
  'select profile from visitors where app_id = ? and visitor_id = ?',
)

/** A visitor's profile; null when it has none; undefined when there is no such visitor in the app. */
export async function loadProfile(db: Kysely<Database>, appId: string, visitorId: string) {
  const row = (await LOAD_PROFILE(db, [appId, visitorId])).rows[0]
  return row ? parse(row.profile) : undefined
}

const EXACT = statement<{ visitor_id: string; profile: string | null }>(
  'select f.visitor_id, v.profile from fingerprints f ' +
    'inner join visitors v on v.app_id = f.app_id and v.visitor_id = f.visitor_id ' +
    'where f.app_id = ? and f.fingerprint = ? order by f.last_seen_at desc limit ?',
)

/** Visitors seen with this exact fingerprint, most recent first. */
export async function exactCandidates(
  db: Kysely<Database>,
  appId: string,
  fingerprint: string,
  limit = EXACT_LIMIT,
): Promise<Candidate[]> {
  const { rows } = await EXACT(db, [appId, fingerprint, limit])
  return rows.map((r) => ({ visitorId: r.visitor_id, profile: parse(r.profile) }))
}

/** The most recent few visitors of each (part, hash), all parts in one statement. */
const PART_VISITORS = statementFor<{ visitor_id: string }>((n) =>
  Array.from(
    { length: n },
    () =>
      'select visitor_id from (select visitor_id from fingerprint_parts ' +
      'where app_id = ? and part = ? and hash = ? order by last_seen_at desc limit ?) p',
  ).join(' union all '),
)
const PROFILES = statementFor<{ visitor_id: string; profile: string | null }>(
  (n) => `select visitor_id, profile from visitors where app_id = ? and visitor_id in (${marks(n)})`,
)

/** Visitors sharing any part hash, the most recent few per part: the fuzzy matcher's candidates. */
export async function similarCandidates(
  db: Kysely<Database>,
  appId: string,
  parts: string[],
  perPart = PER_PART,
): Promise<Candidate[]> {
  if (parts.length === 0) return []
  const lists = await PART_VISITORS(parts.length)(
    db,
    parts.flatMap((hash, part) => [appId, part, hash, perPart]),
  )
  const ids = [...new Set(lists.rows.map((r) => r.visitor_id))]
  if (ids.length === 0) return []
  const { rows } = await PROFILES(ids.length)(db, [appId, ...ids])
  return rows.map((r) => ({ visitorId: r.visitor_id, profile: parse(r.profile) }))
}

/**
 * Claims `claim` (see identify/profile.ts claimKey) for a would-be new visitor. When another request
 * claimed it within CLAIM_WINDOW_US (two first visits of one browser at once), returns that visitor
 * instead: one browser, one visitor. An older claim is taken over: by then the earlier browser is
 * found by its fingerprint, and anyone else behind that address is someone else.
 */
const CLAIM = statement(
  'insert into visitor_claims (app_id, claim, visitor_id, created_at) values (?, ?, ?, ?) ' +
    'on conflict (app_id, claim) do update set visitor_id = excluded.visitor_id, created_at = excluded.created_at ' +
    'where visitor_claims.created_at < ?',
)
const CLAIMED = statement<{ visitor_id: string }>(
  'select visitor_id from visitor_claims where app_id = ? and claim = ?',
)

export async function claimVisitor(
  db: Kysely<Database>,
  appId: string,
  claim: string,
  visitorId: string,
  ts: number,
): Promise<string> {
  await CLAIM(db, [appId, claim, visitorId, ts, ts - CLAIM_WINDOW_US])
  const row = (await CLAIMED(db, [appId, claim])).rows[0]
  return row?.visitor_id ?? visitorId
}

/**
 * Whether the visitor still exists, holding its row until the transaction ends, so a concurrent
 * deletion either waits for this write or is seen by it. An UPDATE rather than a SELECT: on SQLite a
 * transaction that starts with a read cannot always upgrade to a write under concurrency, and on
 * PostgreSQL it locks the row as FOR UPDATE would.
 */
const LOCK_VISITOR = statement(
  'update visitors set last_seen_at = last_seen_at where app_id = ? and visitor_id = ?',
)

export async function lockVisitor(db: Kysely<Database>, appId: string, visitorId: string): Promise<boolean> {
  const res = await LOCK_VISITOR(db, [appId, visitorId])
  return Number(res.numAffectedRows ?? 0n) > 0
}

/**
 * Records this visit in the visitor's profile and the retrieval indexes. The indexes are only
 * rewritten when the fingerprint changed or their recency is over a day old: most visits write one row.
 */
const REMEMBER = statement(
  'insert into visitors (app_id, visitor_id, first_seen_at, last_seen_at, profile) values (?, ?, ?, ?, ?) ' +
    'on conflict (app_id, visitor_id) do update set ' +
    // A visit that joined a visitor created a moment later may be the older of the two.
    'first_seen_at = case when excluded.first_seen_at < visitors.first_seen_at then excluded.first_seen_at else visitors.first_seen_at end, ' +
    'last_seen_at = case when excluded.last_seen_at > visitors.last_seen_at then excluded.last_seen_at else visitors.last_seen_at end, ' +
    'profile = excluded.profile',
)
const REMEMBER_FINGERPRINT = statement(
  'insert into fingerprints (app_id, fingerprint, visitor_id, last_seen_at) values (?, ?, ?, ?) ' +
    'on conflict (app_id, fingerprint, visitor_id) do update set last_seen_at = excluded.last_seen_at',
)
const REMEMBER_PARTS = statementFor(
  (n) =>
    `insert into fingerprint_parts (app_id, part, hash, visitor_id, last_seen_at) values ${marks(n, '(?, ?, ?, ?, ?)')} ` +
    'on conflict (app_id, part, hash, visitor_id) do update set last_seen_at = excluded.last_seen_at',
)

export async function rememberVisitor(
  db: Kysely<Database>,
  appId: string,
  visitorId: string,
  profile: StoredProfile,
  previous: (Profile & Partial<StoredProfile>) | null | undefined,
  ts: number,
): Promise<void> {
  await REMEMBER(db, [appId, visitorId, ts, ts, JSON.stringify(profile)])
  const fresh = previous && ts - previous.seenAt < DAY_US
  if (!fresh || previous.fingerprint !== profile.fingerprint) {
    await REMEMBER_FINGERPRINT(db, [appId, profile.fingerprint, visitorId, ts])
  }
  const parts: unknown[] = []
  let n = 0
  for (const [part, hash] of profile.parts.entries()) {
    if (fresh && previous.parts?.[part] === hash) continue
    parts.push(appId, part, hash, visitorId, ts)
    n++
  }
  // One statement for every part that changed (each part once, so no row is updated twice).
  if (n > 0) await REMEMBER_PARTS(n)(db, parts)
}

/** The app's visitor total in value_counts. */
export const VISITORS_KEY = '*visitors'

const VALUE_COUNTS = statementFor<{ key: string; count: number | string }>(
  (n) => `select "key", "count" from value_counts where app_id = ? and "key" in (${marks(n)})`,
)
const COUNT_VALUES = statementFor(
  (n) =>
    `insert into value_counts (app_id, "key", "count", last_seen_at) values ${marks(n, '(?, ?, 1, ?)')} ` +
    'on conflict (app_id, "key") do update set "count" = value_counts."count" + 1, last_seen_at = excluded.last_seen_at',
)

/** Reads these keys of the app's frequency table. */
export async function readValueCounts(
  db: Kysely<Database>,
  appId: string,
  keys: string[],
): Promise<ValueCounts> {
  const all = [VISITORS_KEY, ...keys]
  const { rows } = await VALUE_COUNTS(all.length)(db, [appId, ...all])
  const counts = new Map(rows.map((r) => [r.key, Number(r.count)]))
  const visitors = counts.get(VISITORS_KEY) ?? 0
  counts.delete(VISITORS_KEY)
  return { visitors, counts }
}

/** Adds one visitor to each key (one statement); `newVisitor` also to the app's total. */
export async function countValues(
  db: Kysely<Database>,
  appId: string,
  keys: string[],
  newVisitor: boolean,
  ts: number,
): Promise<void> {
  const all = [...new Set(newVisitor ? [VISITORS_KEY, ...keys] : keys)]
  if (all.length === 0) return
  await COUNT_VALUES(all.length)(
    db,
    all.flatMap((key) => [appId, key, ts]),
  )
}

/**
 * Keeps the app's frequency table within FREQUENCY_MAX_KEYS: deletes the rarest, least recent keys
 * beyond 90% of it. A pruned value reads as seen by one visitor, which is about what it was.
 */
export async function pruneValueCounts(db: Kysely<Database>, appId: string, max = FREQUENCY_MAX_KEYS) {
  const row = await db
    .selectFrom('value_counts')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('app_id', '=', appId)
    .executeTakeFirstOrThrow()
  const excess = Number(row.n) - Math.floor(max * 0.9)
  if (Number(row.n) <= max || excess <= 0) return 0
  const doomed = db
    .selectFrom('value_counts')
    .select('key')
    .where('app_id', '=', appId)
    .where('key', '<>', VISITORS_KEY)
    .orderBy('count', 'asc')
    .orderBy('last_seen_at', 'asc')
    .limit(excess)
  const r = await db
    .deleteFrom('value_counts')
    .where('app_id', '=', appId)
    .where('key', 'in', doomed)
    .executeTakeFirst()
  return Number(r.numDeletedRows)
}

/** How many new-visitor writes between two size checks of an app's frequency table. */
const PRUNE_EVERY = 2048

/** The storage port (identify/port.ts) over Kysely: a database, or one transaction of it. */
export class KyselyIdentityStore implements IdentityStore {
  constructor(private readonly db: Kysely<Database>) {}
  private static sincePrune = new Map<string, number>()

  loadProfile(appId: string, visitorId: string) {
    return loadProfile(this.db, appId, visitorId)
  }
  exactCandidates(appId: string, fingerprint: string) {
    return exactCandidates(this.db, appId, fingerprint)
  }
  similarCandidates(appId: string, parts: string[]) {
    return similarCandidates(this.db, appId, parts)
  }
  valueCounts(appId: string, keys: string[]) {
    return readValueCounts(this.db, appId, keys)
  }
  lockVisitor(appId: string, visitorId: string) {
    return lockVisitor(this.db, appId, visitorId)
  }
  claim(appId: string, claim: string, visitorId: string, ts: number) {
    return claimVisitor(this.db, appId, claim, visitorId, ts)
  }
  remember(
    appId: string,
    visitorId: string,
    profile: StoredProfile,
    previous: (Profile & Partial<StoredProfile>) | null | undefined,
    ts: number,
  ) {
    return rememberVisitor(this.db, appId, visitorId, profile, previous, ts)
  }
  async countValues(appId: string, keys: string[], newVisitor: boolean, ts: number) {
    await countValues(this.db, appId, keys, newVisitor, ts)
    if (!newVisitor) return
    const n = (KyselyIdentityStore.sincePrune.get(appId) ?? 0) + 1
    KyselyIdentityStore.sincePrune.set(appId, n % PRUNE_EVERY)
    if (n >= PRUNE_EVERY) await pruneValueCounts(this.db, appId)
  }
}
