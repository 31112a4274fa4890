import { compare, type Veto } from './compare.js'
import type { Profile } from './profile.js'
import type { TokenCheck } from './token.js'

// The vetoes that say another browser presents the identifier, not this one evolving: browsers
// don't change family or operating system, and their versions only go up.
const ANOTHER_BROWSER: ReadonlySet<Veto> = new Set<Veto>([
  'browser family changed',
  'operating system changed',
  'browser version went down',
])

/**
 * A stored identifier is a bearer token: copied into another browser, it would carry the visitor (and
 * the visitor's history) with it. Trust it only from a browser that can be the one it was issued to;
 * otherwise the visit goes through the fingerprint path, and the returned status says why.
 */
export function trustStoredId(
  token: TokenCheck,
  issuedTo: Profile | null | undefined,
  current: Profile,
): TokenCheck {
  if (token.status !== 'valid' || !issuedTo) return token
  const { veto } = compare(issuedTo, current)
  return veto && ANOTHER_BROWSER.has(veto)
    ? { status: 'untrusted', visitorId: token.visitorId, why: veto }
    : token
}
