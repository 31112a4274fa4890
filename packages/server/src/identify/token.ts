import { createHmac, timingSafeEqual } from 'node:crypto'
import { VISITOR_ID_RE } from './ids.js'

// A stored identifier is `<visitorId>.<issued ms, base 36>.<HMAC>`; the HMAC binds it to one app,
// so a client can neither forge one nor replay another app's.
const mac = (secret: string, appId: string, visitorId: string, issued: string) =>
  createHmac('sha256', secret).update(`${appId}\n${visitorId}\n${issued}`).digest('base64url').slice(0, 27)

export function issueToken(secret: string, appId: string, visitorId: string, nowMs: number): string {
  const issued = nowMs.toString(36)
  return `${visitorId}.${issued}.${mac(secret, appId, visitorId, issued)}`
}

export type TokenCheck =
  | { status: 'absent' }
  | { status: 'invalid' }
  | { status: 'valid'; visitorId: string; issuedAt: number }
  /** Signed by us, but older than the maximum age: not evidence of anything. */
  | { status: 'expired'; visitorId: string; issuedAt: number }
  /** Signed by us, but presented by a browser that cannot be the one it was issued to (trust.ts). */
  | { status: 'untrusted'; visitorId: string; why: string }

export interface VerifyOptions {
  nowMs: number
  /** Older identifiers are `expired`. */
  maxAgeMs: number
}

/**
 * `secrets`: the current token secret first, then a previous one during a rotation's grace period
 * (`sightline secrets rotate-token-secret`).
 */
export function verifyToken(
  secrets: string | readonly string[],
  appId: string,
  token: string | null | undefined,
  opts?: VerifyOptions,
): TokenCheck {
  if (token === null || token === undefined || token === '') return { status: 'absent' }
  const parts = token.split('.')
  if (parts.length !== 3) return { status: 'invalid' }
  const [visitorId, issued, sig] = parts as [string, string, string]
  if (!VISITOR_ID_RE.test(visitorId) || !/^[0-9a-z]{1,12}$/.test(issued)) return { status: 'invalid' }
  const given = Buffer.from(sig)
  const signedBy = (secret: string) => {
    const expected = Buffer.from(mac(secret, appId, visitorId, issued))
    return given.length === expected.length && timingSafeEqual(given, expected)
  }
  if (!(typeof secrets === 'string' ? [secrets] : secrets).some(signedBy)) return { status: 'invalid' }
  const issuedAt = Number.parseInt(issued, 36)
  if (opts && opts.nowMs - issuedAt > opts.maxAgeMs) return { status: 'expired', visitorId, issuedAt }
  return { status: 'valid', visitorId, issuedAt }
}

/** The secrets and limits one identification works with (store/token-secrets.ts reads them). */
export interface TokenKeys {
  /** Signs new identifiers. */
  issue: string
  /** Verifies: the current secret, then the previous one during a rotation's grace period. */
  verify: readonly string[]
  maxAgeMs: number
}
