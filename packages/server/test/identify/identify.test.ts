import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { compare, gpuModel } from '../../src/identify/compare.js'
import { type Candidate, decide, type Evidence, FUZZY_THRESHOLD } from '../../src/identify/engine.js'
import { canonicalJson, computeFingerprint } from '../../src/identify/fingerprint.js'
import { newRequestId, newVisitorId, REQUEST_ID_RE, VISITOR_ID_RE } from '../../src/identify/ids.js'
import { type Profile, partHashes } from '../../src/identify/profile.js'
import { issueToken, verifyToken } from '../../src/identify/token.js'
import { profile, STABLE, T0 } from './fixtures.js'

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

const later = (days: number) => T0 + days * 86_400_000_000
const elsewhere = { ip: '198.51.100.9', prefix: '198.51.100.0/24', asn: 64501, country: 'US' }
const abroad = { ip: '192.0.2.44', prefix: '192.0.2.0/24', asn: 64999, country: 'DE' }

function evidence(over: Partial<Evidence>): Evidence {
  return {
    token: { status: 'absent' },
    tokenProfile: undefined,
    current: profile(),
    exact: [],
    similar: [],
    ...over,
  }
}
const cand = (visitorId: string, p: Profile): Candidate => ({ visitorId, profile: p })

describe('matching engine: stored identifier', () => {
  const valid = { status: 'valid', visitorId: 'V1', issuedAt: 1 } as const
  it('a valid identifier of a known visitor wins, over any fingerprint evidence', () => {
    const d = decide(evidence({ token: valid, tokenProfile: profile(), exact: [cand('V2', profile())] }))
    assert.equal(d.visitorId, 'V1')
    assert.equal(d.path, 'storedId')
    assert.equal(d.confidence, 1)
  })
  it('presented by a browser that cannot be the one it was issued to: kept, with lower confidence and the reason', () => {
    const d = decide(
      evidence({
        token: valid,
        tokenProfile: profile(),
        current: profile({}, { webgl: { unmaskedRenderer: 'Apple M2' } }),
      }),
    )
    assert.equal(d.visitorId, 'V1')
    assert.ok(d.confidence < 1)
    assert.ok(d.reasons.some((r) => r.includes('GPU changed')))
  })
  it('a tampered or foreign identifier is ignored and said so; an unknown visitor too', () => {
    const t = decide(evidence({ token: { status: 'invalid' }, exact: [cand('V2', profile())] }))
    assert.equal(t.visitorId, 'V2')
    assert.ok(t.reasons.some((r) => r.includes('tampered')))
    const u = decide(evidence({ token: valid, tokenProfile: undefined }))
    assert.equal(u.visitorId, null)
    assert.ok(u.reasons.some((r) => r.includes('unknown visitor')))
  })
})

describe('matching engine: exact fingerprint', () => {
  it('one visitor with this fingerprint at this address: that visitor; from another address: a new one', () => {
    const d = decide(evidence({ exact: [cand('V2', profile())], current: profile({ seenAt: later(3) }) }))
    assert.equal(d.visitorId, 'V2')
    assert.equal(d.path, 'fingerprint')
    // Most devices share their fingerprint with others: without storage, another address may be another device.
    const away = decide(
      evidence({ exact: [cand('V2', profile())], current: profile({ network: abroad, seenAt: later(3) }) }),
    )
    assert.equal(away.visitorId, null)
    assert.ok(away.reasons.some((r) => r.includes('identical device')))
  })
  it('identical devices: the one on the same network; none there is too ambiguous, so a new visitor', () => {
    const a = cand('A', profile({ network: elsewhere }))
    const b = cand('B', profile())
    assert.equal(decide(evidence({ exact: [a, b] })).visitorId, 'B')
    const d = decide(evidence({ exact: [a, b], current: profile({ network: abroad }) }))
    assert.equal(d.visitorId, null)
    assert.ok(d.reasons.some((r) => r.includes('too ambiguous')))
  })
  it('a version downgrade is suspicious, not an update: no match', () => {
    const d = decide(evidence({ exact: [cand('V2', profile())], current: profile({ major: 120 }) }))
    assert.equal(d.visitorId, null)
  })
})

describe('matching engine: fuzzy', () => {
  const prev = profile()
  const fuzzy = (current: Profile, candidates = [cand('V1', prev)]) =>
    decide(evidence({ current, similar: candidates }))
  it('follows a browser update that changed canvas, audio and math', () => {
    const d = fuzzy(
      profile(
        { major: 132, seenAt: later(30) },
        { canvas: { text: 'c2', geometry: 'g2', stable: true }, audio: 124.1, math: { tan: 1 } },
      ),
    )
    assert.equal(d.visitorId, 'V1')
    assert.equal(d.path, 'fuzzy')
    assert.ok(
      d.comparison!.differed.some((x) => x.component === 'canvas' && x.why.includes('browser update')),
    )
  })
  it('follows time zone and language changes, a new monitor and installed fonts', () => {
    const travel = profile(
      { network: abroad, seenAt: later(2) },
      {
        intl: { ...STABLE.intl, timeZone: 'Europe/Berlin' },
        languages: ['en-US', 'en', 'de'],
      },
    )
    const c = compare(prev, travel)
    assert.equal(c.veto, null)
    assert.ok(c.similarity >= FUZZY_THRESHOLD, String(c.similarity))
    assert.ok(c.differed.some((d) => d.why.includes('travel')))
    // Without a stored identifier, only from the same address.
    assert.equal(fuzzy(travel).visitorId, null)
    assert.equal(fuzzy({ ...travel, network: prev.network }).visitorId, 'V1')
    const monitor = { screenSize: { long: 2560, short: 1440, colorDepth: 24 } }
    assert.equal(fuzzy(profile({ seenAt: later(1) }, monitor)).visitorId, 'V1')
    assert.equal(
      fuzzy(profile({ seenAt: later(1) }, { fonts: [...STABLE.fonts, 'Aptos', 'Roboto'] })).visitorId,
      'V1',
    )
  })
  it('a screen, rendering or locale that changed minutes after the last visit is another device', () => {
    const soon = T0 + 5 * 60_000_000
    for (const change of [
      { screenSize: { long: 2560, short: 1440, colorDepth: 24 } },
      { canvas: { text: 'c9', geometry: 'g1', stable: true } },
      { intl: { ...STABLE.intl, timeZone: 'Asia/Tokyo' } },
      { languages: ['ja-JP'] },
    ]) {
      const d = fuzzy(profile({ seenAt: soon }, change))
      assert.equal(d.visitorId, null, JSON.stringify(change))
      assert.equal(
        compare(prev, profile({ seenAt: soon }, change)).veto,
        'changed within minutes: another device',
      )
    }
  })
  it('ignores canvas and audio that anti-fingerprinting randomises', () => {
    const d = fuzzy(
      profile({}, { canvas: { text: 'unstable', geometry: 'unstable', stable: false }, audio: 99.1 }),
    )
    assert.equal(d.visitorId, 'V1')
  })
  it('a changed GPU, CPU count, platform, browser family or OS is another device', () => {
    const others = [
      profile(
        {},
        { webgl: { unmaskedRenderer: 'ANGLE (AMD, AMD Radeon RX 6600 Direct3D11 vs_5_0 ps_5_0, D3D11)' } },
      ),
      profile({}, { hardwareConcurrency: 16 }),
      profile({}, { platform: 'MacIntel' }),
      profile({ browser: 'Firefox' }),
      profile({ os: 'Linux' }),
      profile({ major: 130 }),
    ]
    for (const cur of others) assert.equal(fuzzy(cur).visitorId, null)
    assert.equal(compare(prev, others[0]!).veto, 'GPU changed')
    assert.equal(compare(prev, others[5]!).veto, 'browser version went down')
  })
  it('a GPU driver update is the same GPU', () => {
    const cur = profile(
      {},
      {
        webgl: {
          ...STABLE.webgl,
          unmaskedRenderer:
            'ANGLE (NVIDIA, NVIDIA GeForce RTX 3060 (0x00002504) Direct3D11 vs_5_0 ps_5_0, D3D11-32.0.1)',
        },
      },
    )
    assert.equal(compare(prev, cur).veto, null)
    assert.equal(fuzzy(cur).visitorId, 'V1')
  })
  it('too many changes is a new visitor; two candidates too close to call is a new visitor', () => {
    const far = profile(
      {},
      {
        fonts: ['Arial'],
        canvas: { text: 'x', geometry: 'y', stable: true },
        audio: 1,
        languages: ['fr-FR'],
        intl: { ...STABLE.intl, locale: 'fr-FR' },
        screenSize: { long: 1366, short: 768, colorDepth: 24 },
      },
    )
    const r = compare(prev, far)
    assert.ok(r.score < FUZZY_THRESHOLD, String(r.score))
    assert.equal(fuzzy(far).visitorId, null)
    const twin = profile({ network: prev.network })
    const d = fuzzy(profile({ seenAt: later(1) }, { fonts: [...STABLE.fonts, 'Aptos'] }), [
      cand('V1', prev),
      cand('V2', twin),
    ])
    assert.equal(d.visitorId, null)
    assert.ok(d.reasons.some((x) => x.includes('too close')))
  })
})

describe('engine helpers', () => {
  it('gpuModel keeps the model and drops device ids, driver and API details', () => {
    assert.equal(gpuModel(STABLE.webgl), 'nvidia geforce rtx 3060')
    assert.equal(
      gpuModel({
        unmaskedRenderer:
          'ANGLE (Intel, Mesa Intel(R) UHD Graphics 620 (KBL GT2), OpenGL 4.6 (Core Profile) Mesa 23.2.1)',
      }),
      'mesa intel(r) uhd graphics 620 (kbl gt2)',
    )
    assert.equal(
      gpuModel({ unmaskedRenderer: 'ANGLE (Apple, ANGLE Metal Renderer: Apple M1, Unspecified Version)' }),
      'angle metal renderer: apple m1',
    )
    assert.equal(gpuModel(null), null)
  })
  it('partHashes: one changed component changes exactly its own group', () => {
    // Written out by hand: 0 device (GPU, cores, memory, platform, touch, vendor), 1 display and
    // rendering, 2 fonts and maths, 3 language.
    const groupOf: Record<keyof typeof STABLE, number> = {
      webgl: 0,
      hardwareConcurrency: 0,
      deviceMemory: 0,
      platform: 0,
      touchSupport: 0,
      vendor: 0,
      screenSize: 1,
      canvas: 1,
      audio: 1,
      fonts: 2,
      math: 2,
      pdfViewerEnabled: 2,
      languages: 3,
      intl: 3,
    }
    const a = partHashes(STABLE)
    assert.equal(a.length, 4)
    for (const name of Object.keys(STABLE) as (keyof typeof STABLE)[]) {
      const b = partHashes({ ...STABLE, [name]: 'changed' })
      const changed = [0, 1, 2, 3].filter((i) => a[i] !== b[i])
      assert.deepEqual(changed, [groupOf[name]], name)
    }
  })

  it('partHashes: a group hashes "<index>:" and its values, as canonical JSON, in SHA-256 (16 hex)', () => {
    // Worked with coreutils, independently of the code:
    //   printf '%s' '2:[["Arial","Calibri","Cambria","Consolas","Segoe UI"],{"tan":-1.4214488238747245},true]' | sha256sum
    //   printf '%s' '3:[["en-US","en"],{"calendar":"gregory","hourCycle":"h12","locale":"en-US","numberingSystem":"latn","timeZone":"America/Chicago"}]' | sha256sum
    const h = partHashes(STABLE)
    assert.equal(h[2], 'e29e17c54f44b8aa')
    assert.equal(h[3], 'cb5ee3dd64340caa')
  })
})
