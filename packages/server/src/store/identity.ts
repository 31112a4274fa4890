import { type Kysely, sql } from 'kysely'
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

import type { Database } from './schema.js'

export { CLAIM_WINDOW_US }

const parse = (s: string | null): StoredProfile | null => (s ? (JSON.parse(s) as StoredProfile) : null)

/** A visitor's profile; null when it has none; undefined when there is no such visitor in the app. */
export async function loadProfile(db: Kysely<Database>, appId: string, visitorId: string) {
  const row = await db
    .selectFrom('visitors')
    .select('profile')
    .where('app_id', '=', appId)
    .where('visitor_id', '=', visitorId)
    .executeTakeFirst()
  return row ? parse(row.profile) : undefined
}

/** Visitors seen with this exact fingerprint, most recent first. */
export async function exactCandidates(
  db: Kysely<Database>,
  appId: string,
  fingerprint: string,
  limit = EXACT_LIMIT,
): Promise<Candidate[]> {
  const rows = await db
    .selectFrom('fingerprints as f')
    .innerJoin('visitors as v', (j) =>
      j.onRef('v.app_id', '=', 'f.app_id').onRef('v.visitor_id', '=', 'f.visitor_id'),
    )
    .select(['f.visitor_id', 'v.profile'])
    .where('f.app_id', '=', appId)
    .where('f.fingerprint', '=', fingerprint)
    .orderBy('f.last_seen_at', 'desc')
    .limit(limit)
    .execute()
  return rows.map((r) => ({ visitorId: r.visitor_id, profile: parse(r.profile) }))
}

/** Visitors sharing any part hash, the most recent few per part: the fuzzy matcher's candidates. */
export async function similarCandidates(
  db: Kysely<Database>,
  appId: string,
  parts: string[],
  perPart = PER_PART,
): Promise<Candidate[]> {
  const lists = await Promise.all(
    parts.map((hash, part) =>
      db
        .selectFrom('fingerprint_parts')
        .select('visitor_id')
        .where('app_id', '=', appId)
        .where('part', '=', part)
        .where('hash', '=', hash)
        .orderBy('last_seen_at', 'desc')
        .limit(perPart)
        .execute(),
    ),
  )
  const ids = [...new Set(lists.flat().map((r) => r.visitor_id))]
  if (ids.length === 0) return []
  const rows = await db
    .selectFrom('visitors')
    .select(['visitor_id', 'profile'])
    .where('app_id', '=', appId)
    .where('visitor_id', 'in', ids)
    .execute()
  return rows.map((r) => ({ visitorId: r.visitor_id, profile: parse(r.profile) }))
}

/**
 * Claims `claim` (see identify/profile.ts claimKey) for a would-be new visitor. When another request
 * claimed it within CLAIM_WINDOW_US (two first visits of one browser at once), returns that visitor
 * instead: one browser, one visitor. An older claim is taken over: by then the earlier browser is
 * found by its fingerprint, and anyone else behind that address is someone else.
 */
export async function claimVisitor(
  db: Kysely<Database>,
  appId: string,
  claim: string,
  visitorId: string,
  ts: number,
): Promise<string> {
  await db
    .insertInto('visitor_claims')
    .values({ app_id: appId, claim, visitor_id: visitorId, created_at: ts })
    .onConflict((oc) =>
      oc
        .columns(['app_id', 'claim'])
        .doUpdateSet({ visitor_id: visitorId, created_at: ts })
        .where('visitor_claims.created_at', '<', ts - CLAIM_WINDOW_US),
    )
    .execute()
  const row = await db
    .selectFrom('visitor_claims')
    .select('visitor_id')
    .where('app_id', '=', appId)
    .where('claim', '=', claim)
    .executeTakeFirst()
  return row?.visitor_id ?? visitorId
}

/**
 * Whether the visitor still exists, holding its row until the transaction ends, so a concurrent
 * deletion either waits for this write or is seen by it. An UPDATE rather than a SELECT: on SQLite a
 * transaction that starts with a read cannot always upgrade to a write under concurrency, and on
 * PostgreSQL it locks the row as FOR UPDATE would.
 */
export async function lockVisitor(db: Kysely<Database>, appId: string, visitorId: string): Promise<boolean> {
  const res = await db
    .updateTable('visitors')
    .set((eb) => ({ last_seen_at: eb.ref('last_seen_at') }))
    .where('app_id', '=', appId)
    .where('visitor_id', '=', visitorId)
    .executeTakeFirst()
  return Number(res.numUpdatedRows) > 0
}

/**
 * Records this visit in the visitor's profile and the retrieval indexes. The indexes are only
 * rewritten when the fingerprint changed or their recency is over a day old: most visits write one row.
 */
export async function rememberVisitor(
  db: Kysely<Database>,
  appId: string,
  visitorId: string,
  profile: StoredProfile,
  previous: (Profile & Partial<StoredProfile>) | null | undefined,
  ts: number,
): Promise<void> {
  await db
    .insertInto('visitors')
    .values({
      app_id: appId,
      visitor_id: visitorId,
      first_seen_at: ts,
      last_seen_at: ts,
      profile: JSON.stringify(profile),
    })
    .onConflict((oc) =>
      oc
        .columns(['app_id', 'visitor_id'])
        // A visit that joined a visitor created a moment later may be the older of the two.
        .doUpdateSet({
          first_seen_at: sql`case when excluded.first_seen_at < visitors.first_seen_at then excluded.first_seen_at else visitors.first_seen_at end`,
          last_seen_at: sql`case when excluded.last_seen_at > visitors.last_seen_at then excluded.last_seen_at else visitors.last_seen_at end`,
          profile: JSON.stringify(profile),
        }),
    )
    .execute()
  const fresh = previous && ts - previous.seenAt < DAY_US
  if (!fresh || previous.fingerprint !== profile.fingerprint) {
    await db
      .insertInto('fingerprints')
      .values({ app_id: appId, fingerprint: profile.fingerprint, visitor_id: visitorId, last_seen_at: ts })
      .onConflict((oc) =>
        oc.columns(['app_id', 'fingerprint', 'visitor_id']).doUpdateSet({ last_seen_at: ts }),
      )
      .execute()
  }
  for (const [part, hash] of profile.parts.entries()) {
    if (fresh && previous.parts?.[part] === hash) continue
    await db
      .insertInto('fingerprint_parts')
      .values({ app_id: appId, part, hash, visitor_id: visitorId, last_seen_at: ts })
      .onConflict((oc) =>
        oc.columns(['app_id', 'part', 'hash', 'visitor_id']).doUpdateSet({ last_seen_at: ts }),
      )
      .execute()
  }
}

/** The app's visitor total in value_counts. */
export const VISITORS_KEY = '*visitors'

/** Reads these keys of the app's frequency table. */
export async function readValueCounts(
  db: Kysely<Database>,
  appId: string,
  keys: string[],
): Promise<ValueCounts> {
  const rows = await db
    .selectFrom('value_counts')
    .select(['key', 'count'])
    .where('app_id', '=', appId)
    .where('key', 'in', [VISITORS_KEY, ...keys])
    .execute()
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
  await db
    .insertInto('value_counts')
    .values(all.map((key) => ({ app_id: appId, key, count: 1, last_seen_at: ts })))
    .onConflict((oc) =>
      oc.columns(['app_id', 'key']).doUpdateSet({
        count: sql`value_counts.count + 1`,
        last_seen_at: sql`excluded.last_seen_at`,
      }),
    )
    .execute()
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
