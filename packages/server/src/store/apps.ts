import { createHash, timingSafeEqual } from 'node:crypto'
import type { Kysely } from 'kysely'
import { randomAlnum } from '../util/random.js'
import type { AppsTable, Database } from './schema.js'

export interface App {
  id: string
  name: string
  publicKey: string
  /**
   * null: any origin may identify with this app's public key. Empty: only pages served by this
   * Sightline server itself (same origin), which is how the Demo app starts.
   */
  allowedOrigins: string[] | null
  createdAt: string
}

export interface CreatedApp {
  id: string
  name: string
  publicKey: string
  secretKey: string
}

/** An origin as the browser sends it: scheme and host (and port), no path. */
export const isOrigin = (s: string) => /^https?:\/\/[^/\s]+$/.test(s)

export const hashSecret = (key: string): string => createHash('sha256').update(key).digest('hex')

function toApp(row: AppsTable): App {
  return {
    id: row.id,
    name: row.name,
    publicKey: row.public_key,
    allowedOrigins: row.allowed_origins ? (JSON.parse(row.allowed_origins) as string[]) : null,
    createdAt: new Date(Number(row.created_at)).toISOString(),
  }
}

export async function createApp(
  db: Kysely<Database>,
  input: { name: string; allowedOrigins?: string[] | null },
): Promise<CreatedApp> {
  const app = {
    id: `app_${randomAlnum(12)}`,
    name: input.name,
    publicKey: `pk_${randomAlnum(24)}`,
    secretKey: `sk_${randomAlnum(40)}`,
  }
  await db
    .insertInto('apps')
    .values({
      id: app.id,
      name: app.name,
      public_key: app.publicKey,
      secret_key_hash: hashSecret(app.secretKey),
      allowed_origins: input.allowedOrigins ? JSON.stringify(input.allowedOrigins) : null,
      created_at: Date.now(),
    })
    .execute()
  return app
}

/** Whether the app exists. */
export async function appExists(db: Kysely<Database>, id: string): Promise<boolean> {
  return (await db.selectFrom('apps').select('id').where('id', '=', id).executeTakeFirst()) !== undefined
}

export async function listApps(db: Kysely<Database>): Promise<App[]> {
  const rows = await db.selectFrom('apps').selectAll().orderBy('created_at').orderBy('id').execute()
  return rows.map(toApp)
}

export async function countApps(db: Kysely<Database>): Promise<number> {
  const row = await db
    .selectFrom('apps')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow()
  return Number(row.n)
}

/** Issues a new secret key; the old one stops working at once. null: no such app. */
export async function rotateSecret(db: Kysely<Database>, id: string): Promise<string | null> {
  const secretKey = `sk_${randomAlnum(40)}`
  const res = await db
    .updateTable('apps')
    .set({ secret_key_hash: hashSecret(secretKey) })
    .where('id', '=', id)
    .executeTakeFirst()
  return Number(res.numUpdatedRows) === 1 ? secretKey : null
}

export async function setAllowedOrigins(db: Kysely<Database>, id: string, origins: string[] | null) {
  const res = await db
    .updateTable('apps')
    .set({ allowed_origins: origins ? JSON.stringify(origins) : null })
    .where('id', '=', id)
    .executeTakeFirst()
  return Number(res.numUpdatedRows) === 1
}

export async function findAppByPublicKey(db: Kysely<Database>, key: string): Promise<App | null> {
  const row = await db.selectFrom('apps').selectAll().where('public_key', '=', key).executeTakeFirst()
  if (!row) return null
  // The index lookup already matched; the constant-time check keeps the comparison itself uniform.
  return safeEqual(row.public_key, key) ? toApp(row) : null
}

export async function findAppBySecretKey(db: Kysely<Database>, key: string): Promise<App | null> {
  // Only the hash is stored and looked up, so timing reveals nothing about the secret itself.
  const hash = hashSecret(key)
  const row = await db.selectFrom('apps').selectAll().where('secret_key_hash', '=', hash).executeTakeFirst()
  if (!row) return null
  return safeEqual(row.secret_key_hash, hash) ? toApp(row) : null
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a)
  const y = Buffer.from(b)
  return x.length === y.length && timingSafeEqual(x, y)
}

export async function renameApp(db: Kysely<Database>, id: string, name: string) {
  const res = await db.updateTable('apps').set({ name }).where('id', '=', id).executeTakeFirst()
  return Number(res.numUpdatedRows) === 1
}
