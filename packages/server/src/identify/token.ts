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

export function verifyToken(secret: string, appId: string, token: string | null | undefined): TokenCheck {
  if (token === null || token === undefined || token === '') return { status: 'absent' }
  const parts = token.split('.')
  if (parts.length !== 3) return { status: 'invalid' }
  const [visitorId, issued, sig] = parts as [string, string, string]
  if (!VISITOR_ID_RE.test(visitorId) || !/^[0-9a-z]{1,12}$/.test(issued)) return { status: 'invalid' }
  const expected = Buffer.from(mac(secret, appId, visitorId, issued))
  const given = Buffer.from(sig)
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { status: 'invalid' }
  return { status: 'valid', visitorId, issuedAt: Number.parseInt(issued, 36) }
}
