import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { decide } from '../../src/identify/engine.js'
import { canonicalJson, computeFingerprint } from '../../src/identify/fingerprint.js'
import { newRequestId, newVisitorId, REQUEST_ID_RE, VISITOR_ID_RE } from '../../src/identify/ids.js'
import { issueToken, verifyToken } from '../../src/identify/token.js'

describe('ids', () => {
  it('visitorId is 20 random alphanumerics', () => {
    const ids = new Set(Array.from({ length: 2000 }, newVisitorId))
    assert.equal(ids.size, 2000)
    for (const id of ids) assert.match(id, VISITOR_ID_RE)
  })
  it('requestId is <ms timestamp>.<6 alphanumerics>', () => {
    const id = newRequestId(1732570000123)
    assert.match(id, REQUEST_ID_RE)
    assert.ok(id.startsWith('1732570000123.'))
  })
})

describe('fingerprint', () => {
  const stable = ['a', 'b', 'c']
  it('is 32 lowercase hex and ignores key order and unstable components', () => {
    const one = computeFingerprint(
      { a: { value: { x: 1, y: [2, 3] } }, b: { value: 'q' }, z: { value: 1 } },
      stable,
    )
    const two = computeFingerprint(
      { z: { value: 2 }, b: { value: 'q', duration: 9 }, a: { value: { y: [2, 3], x: 1 } } },
      stable,
    )
    assert.match(one, /^[0-9a-f]{32}$/)
    assert.equal(one, two)
  })
  it('changes when a stable component changes, or errors instead of answering', () => {
    const base = computeFingerprint({ a: { value: 1 } }, stable)
    assert.notEqual(base, computeFingerprint({ a: { value: 2 } }, stable))
    assert.notEqual(base, computeFingerprint({ a: { error: 'blocked' } }, stable))
  })
  it('canonical JSON sorts keys at every depth', () => {
    assert.equal(
      canonicalJson({ b: 1, a: { d: [1, { f: 1, e: 2 }], c: null } }),
      '{"a":{"c":null,"d":[1,{"e":2,"f":1}]},"b":1}',
    )
  })
})

describe('stored identifier token', () => {
  const secret = 'server-secret'
  const vid = 'AbCdEfGhIjKlMnOpQrSt'
  it('round-trips for the app it was issued to', () => {
    const t = issueToken(secret, 'app_1', vid, 1732570000000)
    const v = verifyToken(secret, 'app_1', t)
    assert.deepEqual(v, { status: 'valid', visitorId: vid, issuedAt: 1732570000000 })
  })
  it('rejects another app, a forged visitor, a tampered signature and junk', () => {
    const t = issueToken(secret, 'app_1', vid, 1732570000000)
    assert.equal(verifyToken(secret, 'app_2', t).status, 'invalid')
    assert.equal(verifyToken('other-secret', 'app_1', t).status, 'invalid')
    const [, issued, sig] = t.split('.')
    assert.equal(verifyToken(secret, 'app_1', `ZZZZZZZZZZZZZZZZZZZZ.${issued}.${sig}`).status, 'invalid')
    assert.equal(
      verifyToken(secret, 'app_1', `${t.slice(0, -1)}${t.endsWith('A') ? 'B' : 'A'}`).status,
      'invalid',
    )
    for (const junk of ['x', 'a.b.c', '...', `${vid}..`, '🙂.🙂.🙂']) {
      assert.equal(verifyToken(secret, 'app_1', junk).status, 'invalid', junk)
    }
    assert.equal(verifyToken(secret, 'app_1', null).status, 'absent')
    assert.equal(verifyToken(secret, 'app_1', '').status, 'absent')
  })
})

describe('first-version matching', () => {
  const valid = { status: 'valid', visitorId: 'V1', issuedAt: 1 } as const
  it('a valid stored identifier of a known visitor wins, even over a fingerprint seen with another', () => {
    const d = decide({ token: valid, tokenVisitorKnown: true, fingerprintVisitor: 'V2' })
    assert.equal(d.visitorId, 'V1')
    assert.equal(d.path, 'storedId')
    assert.equal(d.visitorFound, true)
    assert.equal(d.confidence, 1)
    assert.ok(d.reasons.some((r) => r.includes('another visitor')))
  })
  it('falls back to the exact fingerprint when the identifier is missing, tampered or unknown', () => {
    for (const token of [{ status: 'absent' } as const, { status: 'invalid' } as const, valid]) {
      const d = decide({ token, tokenVisitorKnown: false, fingerprintVisitor: 'V2' })
      assert.equal(d.visitorId, 'V2')
      assert.equal(d.path, 'fingerprint')
      assert.ok(d.confidence < 1)
    }
    assert.ok(
      decide({
        token: { status: 'invalid' },
        tokenVisitorKnown: false,
        fingerprintVisitor: null,
      }).reasons.some((r) => r.includes('tampered')),
    )
  })
  it('else a new visitor', () => {
    const d = decide({ token: { status: 'absent' }, tokenVisitorKnown: false, fingerprintVisitor: null })
    assert.equal(d.visitorId, null)
    assert.equal(d.visitorFound, false)
    assert.equal(d.path, 'new')
  })
})
