import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import type { FastifyReply, FastifyRequest } from 'fastify'
import type { Kysely } from 'kysely'
import { TokenBuckets } from '../http/rate-limit.js'
import type { Database } from '../store/schema.js'
import {
  deleteExpiredSessions,
  deleteSession,
  findSession,
  findUserByEmail,
  insertSession,
  type SessionRow,
  touchSession,
} from '../store/users.js'
import { decoyHash, verifyPassword } from './passwords.js'

export const SESSION_COOKIE = 'sightline_session'
/** The sign-in form's double-submit token, set with the form. */
export const SIGN_IN_COOKIE = 'sightline_signin'
export const COOKIE_PATH = '/dashboard'

export interface SessionLimits {
  /** A session unused for this long ends (ms). */
  idleMs: number
  /** A session ends this long after sign-in, used or not (ms). */
  maxMs: number
}

export interface Session extends SessionRow {
  tokenHash: string
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex')
export const newToken = () => randomBytes(32).toString('base64url')

/** Constant time; false for any difference in length or content. */
export function sameSecret(a: string | undefined, b: string | undefined): boolean {
  if (typeof a !== 'string' || typeof b !== 'string') return false
  const x = Buffer.from(sha256(a))
  const y = Buffer.from(sha256(b))
  return timingSafeEqual(x, y) && a.length === b.length
}

export function readCookie(req: FastifyRequest, name: string): string | undefined {
  const header = req.headers.cookie
  if (!header) return undefined
  for (const part of header.split(';')) {
    const eq = part.indexOf('=')
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim()
  }
  return undefined
}

/** HttpOnly, SameSite=Strict, path /dashboard; Secure when the request came over TLS (as TRUST_PROXY allows). */
export function setCookie(
  req: FastifyRequest,
  reply: FastifyReply,
  name: string,
  value: string,
  maxAgeS?: number,
) {
  const parts = [`${name}=${value}`, `Path=${COOKIE_PATH}`, 'HttpOnly', 'SameSite=Strict']
  if (req.protocol === 'https') parts.push('Secure')
  if (maxAgeS !== undefined) parts.push(`Max-Age=${maxAgeS}`)
  // Fastify appends each set-cookie header to those already set.
  reply.header('set-cookie', parts.join('; '))
}

export const clearCookie = (req: FastifyRequest, reply: FastifyReply, name: string) =>
  setCookie(req, reply, name, '', 0)

/**
 * A state-changing request must come from this server's own pages: its Origin (or, without one,
 * Sec-Fetch-Site) must say so. Clients that send neither (scripts) still need the CSRF token.
 */
export function sameOrigin(req: FastifyRequest): boolean {
  const origin = req.headers.origin
  if (typeof origin === 'string' && origin !== '') {
    return origin === `${req.protocol}://${req.host}`
  }
  const site = req.headers['sec-fetch-site']
  if (typeof site === 'string') return site === 'same-origin' || site === 'none'
  return true
}

export type SignInResult =
  | { ok: true; token: string; session: Session }
  | { ok: false; reason: 'wrong' }
  | { ok: false; reason: 'limited'; retryAfterS: number }

/**
 * Sessions and sign-in. Failed attempts are limited per account (5 at once, then one a minute) and
 * per client address (20 at once, then one every 6 s), in each process; past either, every attempt
 * is refused until the budget refills.
 */
export class Auth {
  private readonly perAccount = new TokenBuckets(1 / 60, 5)
  private readonly perAddress = new TokenBuckets(1 / 6, 20)
  private lastSweep = 0

  constructor(
    private readonly db: Kysely<Database>,
    readonly limits: SessionLimits,
    private readonly now: () => number = Date.now,
  ) {}

  async signIn(email: string, password: string, address: string): Promise<SignInResult> {
    const account = `account:${email.trim().toLowerCase()}`
    const ip = `ip:${address}`
    const wait = Math.max(this.perAddress.peek(ip), this.perAccount.peek(account))
    if (wait > 0) return { ok: false, reason: 'limited', retryAfterS: wait }
    const found = await findUserByEmail(this.db, email)
    // An unknown email costs the same time as a known one.
    const ok = await verifyPassword(password, found?.passwordHash ?? (await decoyHash()))
    if (!found || !ok) {
      // Failures spend the budgets: a user who signs in often is never locked out by it.
      this.perAddress.take(ip)
      this.perAccount.take(account)
      return { ok: false, reason: 'wrong' }
    }
    const token = newToken()
    const tokenHash = sha256(token)
    const now = this.now()
    const csrf = newToken()
    await insertSession(this.db, { tokenHash, userId: found.user.id, csrf, now })
    return {
      ok: true,
      token,
      session: { user: found.user, csrf, createdAt: now, lastSeenAt: now, tokenHash },
    }
  }

  /** The request's live session, or null (none, unknown, idle too long or too old). */
  async session(req: FastifyRequest): Promise<Session | null> {
    const token = readCookie(req, SESSION_COOKIE)
    if (!token || token.length > 100) return null
    const tokenHash = sha256(token)
    const row = await findSession(this.db, tokenHash)
    if (!row) return null
    const now = this.now()
    if (now - row.lastSeenAt > this.limits.idleMs || now - row.createdAt > this.limits.maxMs) {
      await deleteSession(this.db, tokenHash)
      return null
    }
    // One write a minute at most per session.
    if (now - row.lastSeenAt > 60_000) await touchSession(this.db, tokenHash, now)
    if (now - this.lastSweep > 3_600_000) {
      this.lastSweep = now
      await deleteExpiredSessions(this.db, now - this.limits.idleMs, now - this.limits.maxMs)
    }
    return { ...row, tokenHash }
  }

  signOut(session: Session) {
    return deleteSession(this.db, session.tokenHash)
  }
}
