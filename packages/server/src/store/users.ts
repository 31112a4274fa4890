import type { Kysely } from 'kysely'
import type { Database, UsersTable } from './schema.js'

export type Role = UsersTable['role']

export interface User {
  id: string
  email: string
  role: Role
  createdAt: number
}

const toUser = (r: Pick<UsersTable, 'id' | 'email' | 'role' | 'created_at'>): User => ({
  id: r.id,
  email: r.email,
  role: r.role,
  createdAt: Number(r.created_at),
})

/** Emails are compared without case: one person, one account. */
export const normalizeEmail = (email: string) => email.trim().toLowerCase()

/** Something@somewhere, at most 254 characters: enough to catch a typo, not a full RFC 5322 parser. */
export const isEmail = (email: string) => email.length <= 254 && /^[^\s@]+@[^\s@]+$/.test(email)

export async function insertUser(
  db: Kysely<Database>,
  user: { id: string; email: string; passwordHash: string; role: Role; createdAt: number },
): Promise<User | null> {
  const row = await db
    .insertInto('users')
    .values({
      id: user.id,
      email: normalizeEmail(user.email),
      password_hash: user.passwordHash,
      role: user.role,
      created_at: user.createdAt,
    })
    .onConflict((oc) => oc.column('email').doNothing())
    .returning(['id', 'email', 'role', 'created_at'])
    .executeTakeFirst()
  return row ? toUser(row) : null
}

export async function listUsers(db: Kysely<Database>): Promise<User[]> {
  const rows = await db
    .selectFrom('users')
    .select(['id', 'email', 'role', 'created_at'])
    .orderBy('email')
    .execute()
  return rows.map(toUser)
}

export async function countUsers(db: Kysely<Database>): Promise<number> {
  const r = await db
    .selectFrom('users')
    .select((eb) => eb.fn.countAll<string | number>().as('n'))
    .executeTakeFirstOrThrow()
  return Number(r.n)
}

export async function countAdmins(db: Kysely<Database>): Promise<number> {
  const r = await db
    .selectFrom('users')
    .select((eb) => eb.fn.countAll<string | number>().as('n'))
    .where('role', '=', 'admin')
    .executeTakeFirstOrThrow()
  return Number(r.n)
}

/** The user and their password hash, by email (sign-in). */
export async function findUserByEmail(db: Kysely<Database>, email: string) {
  const r = await db
    .selectFrom('users')
    .select(['id', 'email', 'role', 'created_at', 'password_hash'])
    .where('email', '=', normalizeEmail(email))
    .executeTakeFirst()
  return r ? { user: toUser(r), passwordHash: r.password_hash } : null
}

/** A user by id or by email. */
export async function findUser(db: Kysely<Database>, idOrEmail: string): Promise<User | null> {
  const r = await db
    .selectFrom('users')
    .select(['id', 'email', 'role', 'created_at'])
    .where((eb) => eb.or([eb('id', '=', idOrEmail), eb('email', '=', normalizeEmail(idOrEmail))]))
    .executeTakeFirst()
  return r ? toUser(r) : null
}

/** Sets the password and ends every session of the user. */
export async function setPassword(
  db: Kysely<Database>,
  userId: string,
  passwordHash: string,
): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    const r = await trx
      .updateTable('users')
      .set({ password_hash: passwordHash })
      .where('id', '=', userId)
      .executeTakeFirst()
    await trx.deleteFrom('sessions').where('user_id', '=', userId).execute()
    return Number(r.numUpdatedRows) > 0
  })
}

export async function deleteUser(db: Kysely<Database>, userId: string): Promise<boolean> {
  return db.transaction().execute(async (trx) => {
    await trx.deleteFrom('sessions').where('user_id', '=', userId).execute()
    const r = await trx.deleteFrom('users').where('id', '=', userId).executeTakeFirst()
    return Number(r.numDeletedRows) > 0
  })
}

// ---- sessions ---------------------------------------------------------------------------------

export interface SessionRow {
  user: User
  csrf: string
  createdAt: number
  lastSeenAt: number
}

export async function insertSession(
  db: Kysely<Database>,
  s: { tokenHash: string; userId: string; csrf: string; now: number },
) {
  await db
    .insertInto('sessions')
    .values({
      token_hash: s.tokenHash,
      user_id: s.userId,
      csrf: s.csrf,
      created_at: s.now,
      last_seen_at: s.now,
    })
    .execute()
}

export async function findSession(db: Kysely<Database>, tokenHash: string): Promise<SessionRow | null> {
  const r = await db
    .selectFrom('sessions')
    .innerJoin('users', 'users.id', 'sessions.user_id')
    .select([
      'users.id',
      'users.email',
      'users.role',
      'users.created_at',
      'sessions.csrf',
      'sessions.created_at as session_created_at',
      'sessions.last_seen_at',
    ])
    .where('sessions.token_hash', '=', tokenHash)
    .executeTakeFirst()
  if (!r) return null
  return {
    user: toUser(r),
    csrf: r.csrf,
    createdAt: Number(r.session_created_at),
    lastSeenAt: Number(r.last_seen_at),
  }
}

export async function touchSession(db: Kysely<Database>, tokenHash: string, now: number) {
  await db.updateTable('sessions').set({ last_seen_at: now }).where('token_hash', '=', tokenHash).execute()
}

export async function deleteSession(db: Kysely<Database>, tokenHash: string) {
  await db.deleteFrom('sessions').where('token_hash', '=', tokenHash).execute()
}

export async function deleteUserSessions(db: Kysely<Database>, userId: string): Promise<number> {
  const r = await db.deleteFrom('sessions').where('user_id', '=', userId).executeTakeFirst()
  return Number(r.numDeletedRows)
}

/** Sessions idle since `idleBefore` or created before `createdBefore` (ms). */
export async function deleteExpiredSessions(db: Kysely<Database>, idleBefore: number, createdBefore: number) {
  await db
    .deleteFrom('sessions')
    .where((eb) => eb.or([eb('last_seen_at', '<', idleBefore), eb('created_at', '<', createdBefore)]))
    .execute()
}
