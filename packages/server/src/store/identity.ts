import { type Kysely, sql } from 'kysely'
import type { Candidate } from '../identify/engine.js'
import type { Profile, StoredProfile } from '../identify/profile.js'

export type { StoredProfile }

import type { Database } from './schema.js'

/** How long a new visitor's claim makes racing first visits of the same browser join it. */
export const CLAIM_WINDOW_US = 60_000_000

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
  limit = 10,
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
  perPart = 8,
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

const DAY_US = 86_400_000_000

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
