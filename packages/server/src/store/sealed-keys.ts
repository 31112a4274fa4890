import { randomBytes } from 'node:crypto'
import type { Kysely } from 'kysely'
import { randomAlnum } from '../util/random.js'
import type { Database } from './schema.js'

/** Which event a sealed result holds: v3 `{products}` or the flat v4 event. */
export type SealedFormat = 'v3' | 'v4'
export const SEALED_FORMATS: readonly SealedFormat[] = ['v3', 'v4']

/** A key as listings show it: never the key itself. */
export interface SealedKeyInfo {
  id: string
  appId: string
  format: SealedFormat
  active: boolean
  /** ISO 8601. */
  createdAt: string
}

export interface CreatedSealedKey extends SealedKeyInfo {
  /** base64 of the 32-byte AES-256-GCM key: shown once, at creation. */
  key: string
}

export interface ActiveSealedKey {
  id: string
  key: Buffer
  format: SealedFormat
}

const asFormat = (f: string): SealedFormat => (f === 'v4' ? 'v4' : 'v3')

/** A new active key for the app; null when there is no such app. */
export async function createSealedKey(
  db: Kysely<Database>,
  appId: string,
  format: SealedFormat,
): Promise<CreatedSealedKey | null> {
  const app = await db.selectFrom('apps').select('id').where('id', '=', appId).executeTakeFirst()
  if (!app) return null
  const row = {
    id: `seal_${randomAlnum(16)}`,
    app_id: appId,
    key: randomBytes(32).toString('base64'),
    format,
    active: 1,
    created_at: Date.now(),
  }
  await db.insertInto('sealed_keys').values(row).execute()
  return { ...toInfo(row), key: row.key }
}

function toInfo(row: { id: string; app_id: string; format: string; active: number; created_at: number }) {
  return {
    id: row.id,
    appId: row.app_id,
    format: asFormat(row.format),
    active: Number(row.active) === 1,
    createdAt: new Date(Number(row.created_at)).toISOString(),
  }
}

/** The app's keys, newest first. */
export async function listSealedKeys(db: Kysely<Database>, appId: string): Promise<SealedKeyInfo[]> {
  const rows = await db
    .selectFrom('sealed_keys')
    .select(['id', 'app_id', 'format', 'active', 'created_at'])
    .where('app_id', '=', appId)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .execute()
  return rows.map(toInfo)
}

/** Stops sealing with the key; false when there is no such key. */
export async function disableSealedKey(db: Kysely<Database>, id: string): Promise<boolean> {
  const res = await db.updateTable('sealed_keys').set({ active: 0 }).where('id', '=', id).executeTakeFirst()
  return Number(res.numUpdatedRows) === 1
}

/** The app's newest active key, or null: the app does not seal. */
export async function activeSealedKey(db: Kysely<Database>, appId: string): Promise<ActiveSealedKey | null> {
  const row = await db
    .selectFrom('sealed_keys')
    .select(['id', 'key', 'format'])
    .where('app_id', '=', appId)
    .where('active', '=', 1)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(1)
    .executeTakeFirst()
  return row ? { id: row.id, key: Buffer.from(row.key, 'base64'), format: asFormat(row.format) } : null
}
