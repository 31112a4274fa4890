import { createHash } from 'node:crypto'
import type { Kysely } from 'kysely'
import { statement } from './prepared.js'

/** Table `payload_nonces` (migration 0002_replay). */
interface ReplayTables {
  payload_nonces: { app_id: string; nonce: string; request_id: string; seen_at: number }
}

/** How long a nonce is remembered. Older rows are pruned as new ones arrive. */
export const REPLAY_WINDOW_MICROS = 7 * 24 * 3600 * 1_000_000
const PRUNE_EVERY = 1000
let inserts = 0

/**
 * The key that identifies one posted payload: the agent's random per-collection nonce (`automation.n`)
 * when the payload has a well-formed one, else all its components (a client that is not the agent:
 * resending the same body is still recognised); with the stored identifier it was sent with. The agent
 * may post one collection twice (a second get() within its reuse window), but by then it sends the
 * identifier the first answer issued, and the agent renews `automation.n` for every request, so only
 * a resend of the same components has the same key.
 */
export function payloadKey(components: Record<string, unknown>, storedId: string | null | undefined): string {
  const auto = components.automation as { value?: { n?: unknown } } | undefined
  const n = auto?.value?.n
  const what =
    typeof n === 'string' && /^[0-9a-v]{16,64}$/.test(n) ? `n:${n}` : `c:${JSON.stringify(components)}`
  return createHash('sha256')
    .update(`${what}\n${storedId ?? ''}`)
    .digest('hex')
    .slice(0, 40)
}

/**
 * Records this payload's key for the app; answers the request id that first posted it when it was
 * already there (a replay), else null. One insert that does nothing on conflict, so two concurrent
 * replays cannot both pass as first.
 */
const REMEMBER_NONCE = statement(
  'insert into payload_nonces (app_id, nonce, request_id, seen_at) values (?, ?, ?, ?) ' +
    'on conflict (app_id, nonce) do nothing',
)
const FIRST_POSTED = statement<{ request_id: string }>(
  'select request_id from payload_nonces where app_id = ? and nonce = ?',
)

export async function checkReplay(
  db: Kysely<any>,
  appId: string,
  components: Record<string, unknown>,
  storedId: string | null | undefined,
  requestId: string,
  now: number,
): Promise<string | null> {
  const d = db as unknown as Kysely<ReplayTables>
  const nonce = payloadKey(components, storedId)
  const r = await REMEMBER_NONCE(db, [appId, nonce, requestId, now])
  if (++inserts % PRUNE_EVERY === 0) {
    await d
      .deleteFrom('payload_nonces')
      .where('seen_at', '<', now - REPLAY_WINDOW_MICROS)
      .execute()
  }
  if (Number(r.numAffectedRows ?? 0n) > 0) return null
  return (await FIRST_POSTED(db, [appId, nonce])).rows[0]?.request_id ?? 'unknown'
}
