import type { Kysely } from 'kysely'
import type { TokenKeys } from '../identify/token.js'
import { randomAlnum } from '../util/random.js'
import type { Database } from './schema.js'
import { getSetting } from './settings.js'

const CURRENT = 'token_secret'
const PREVIOUS = 'token_secret_previous'
const PREVIOUS_UNTIL = 'token_secret_previous_until'

/** A running server reads the secrets again after this long, so a rotation reaches it without a restart. */
export const TOKEN_SECRETS_REFRESH_MS = 10_000
export const DEFAULT_ROTATION_GRACE_DAYS = 30

export const newTokenSecret = () => randomAlnum(48)

/** The current secret, and the previous one while its grace period lasts. */
export async function readTokenSecrets(
  db: Kysely<Database>,
  nowMs: number,
): Promise<{ current: string; previous: string | null }> {
  const rows = await db
    .selectFrom('settings')
    .select(['key', 'value'])
    .where('key', 'in', [CURRENT, PREVIOUS, PREVIOUS_UNTIL])
    .execute()
  const get = (k: string) => rows.find((r) => r.key === k)?.value ?? null
  const current = get(CURRENT)
  if (current === null) throw new Error('no token secret: the database was not initialised')
  const until = Number(get(PREVIOUS_UNTIL))
  const previous = get(PREVIOUS)
  return { current, previous: previous !== null && Number.isFinite(until) && nowMs < until ? previous : null }
}

/**
 * A new current secret. Identifiers signed by the old one still verify for `graceMs` (each
 * identification re-issues them with the new secret); 0 ends them at once.
 */
export async function rotateTokenSecret(
  db: Kysely<Database>,
  graceMs: number,
  nowMs: number,
): Promise<{ previousValidUntil: number }> {
  return db.transaction().execute(async (trx) => {
    const old = await getSetting(trx, CURRENT)
    if (old === null) throw new Error('no token secret: start the server once first')
    const until = nowMs + graceMs
    const upsert = (key: string, value: string) =>
      trx
        .insertInto('settings')
        .values({ key, value })
        .onConflict((oc) => oc.column('key').doUpdateSet({ value }))
        .execute()
    await upsert(PREVIOUS, old)
    await upsert(PREVIOUS_UNTIL, String(until))
    await upsert(CURRENT, newTokenSecret())
    return { previousValidUntil: until }
  })
}

/** The keys for identifications, read at most every TOKEN_SECRETS_REFRESH_MS. */
export function tokenKeySource(
  db: Kysely<Database>,
  maxAgeMs: number,
  refreshMs = TOKEN_SECRETS_REFRESH_MS,
): () => Promise<TokenKeys> {
  let cached: { keys: Promise<TokenKeys>; until: number } | null = null
  return () => {
    const now = Date.now()
    if (!cached || cached.until <= now) {
      const keys = readTokenSecrets(db, now).then((s) => ({
        issue: s.current,
        verify: s.previous ? [s.current, s.previous] : [s.current],
        maxAgeMs,
      }))
      const entry = { keys, until: now + refreshMs }
      cached = entry
      keys.catch(() => {
        if (cached === entry) cached = null
      })
    }
    return cached.keys
  }
}
