import type { TokenCheck } from './token.js'

export type MatchPath = 'storedId' | 'fingerprint' | 'new'

export interface Evidence {
  token: TokenCheck
  /** Whether the token's visitor still exists in this app (it may have been deleted). */
  tokenVisitorKnown: boolean
  /** The visitor last seen with this exact fingerprint in this app, if any. */
  fingerprintVisitor: string | null
}

export interface Decision {
  /** null: a new visitor must be created. */
  visitorId: string | null
  visitorFound: boolean
  confidence: number
  path: MatchPath
  /** Why: each piece of evidence considered, in order. */
  reasons: string[]
}

/** First-version matching: stored identifier, else exact fingerprint, else a new visitor. */
export function decide(e: Evidence): Decision {
  const reasons: string[] = []
  if (e.token.status === 'valid') {
    if (e.tokenVisitorKnown) {
      reasons.push('valid stored identifier')
      if (e.fingerprintVisitor !== null && e.fingerprintVisitor !== e.token.visitorId) {
        reasons.push('fingerprint last seen with another visitor')
      }
      return { visitorId: e.token.visitorId, visitorFound: true, confidence: 1, path: 'storedId', reasons }
    }
    reasons.push('stored identifier names an unknown visitor')
  } else if (e.token.status === 'invalid') {
    reasons.push('stored identifier failed verification (tampered or foreign): ignored')
  } else {
    reasons.push('no stored identifier')
  }
  if (e.fingerprintVisitor !== null) {
    reasons.push('exact fingerprint match')
    return {
      visitorId: e.fingerprintVisitor,
      visitorFound: true,
      confidence: 0.9,
      path: 'fingerprint',
      reasons,
    }
  }
  reasons.push('no fingerprint match: new visitor')
  return { visitorId: null, visitorFound: false, confidence: 0.7, path: 'new', reasons }
}
