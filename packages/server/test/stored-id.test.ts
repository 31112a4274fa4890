import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { issueToken, verifyToken } from '../src/identify/token.js'
import { trustStoredId } from '../src/identify/trust.js'
import { getSetting } from '../src/store/settings.js'
import { readTokenSecrets, rotateTokenSecret, tokenKeySource } from '../src/store/token-secrets.js'
import { launch } from './browser.js'
import {
  components,
  DIALECTS,
  dialectName,
  openTestDb,
  post,
  startServer,
  type TestServer,
} from './helpers.js'

const PAGE = 'https://shop.example/account'
const DAY = 86_400_000
const CHROME_LINUX = (major: number) =>
  `Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${major}.0.0.0 Safari/537.36`
const FIREFOX_WINDOWS = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0'

/** Components of a browser; `ua` also goes in the User-Agent header. */
const browser = (ua: string, overrides: Record<string, unknown> = {}) => ({
  components: components({
    userAgent: ua,
    platform: /Windows/.test(ua) ? 'Win32' : 'Linux x86_64',
    ...overrides,
  }),
  headers: { 'user-agent': ua },
})

for (const dialect of DIALECTS) {
  describe(`stored identifiers (${dialectName(dialect)})`, () => {
    let s: TestServer
    before(async () => {
      s = await startServer({ storedIdMaxAgeDays: 30 }, {}, { dialect })
    })
    after(() => s?.close())

    const identify = (b: ReturnType<typeof browser>, storedId: string | null = null) =>
      // The Demo app, from its own page's origin: the demo history below reads only its visits.
      post(
        s.url,
        { apiKey: s.demo.publicKey, url: PAGE, storedId, components: b.components },
        {
          ...b.headers,
          origin: s.url,
        },
      )
    const visit = async (requestId: string) => {
      const res = await fetch(`${s.url}/v1/visits/${requestId}`, { headers: { Auth: s.demo.secretKey } })
      assert.equal(res.status, 200)
      return ((await res.json()) as { identification: { path: string; storedId: string; reasons: string[] } })
        .identification
    }
    const history = (body: unknown) =>
      fetch(`${s.url}/demo/history`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      })

    it('a storedId copied from Chrome on Linux and replayed by Firefox on Windows is not trusted', async () => {
      const victim = await identify(browser(CHROME_LINUX(131), { canvas: { text: 'victim', stable: true } }))
      assert.equal(victim.status, 200)
      const attacker = await identify(
        browser(FIREFOX_WINDOWS, { canvas: { text: 'attacker', stable: true } }),
        victim.json.storedId,
      )
      assert.equal(attacker.status, 200)
      assert.notEqual(attacker.json.visitorId, victim.json.visitorId)
      assert.equal(attacker.json.visitorFound, false)
      const why = await visit(attacker.json.requestId)
      assert.equal(why.storedId, 'untrusted')
      assert.notEqual(why.path, 'storedId')
      assert.ok(
        why.reasons.some((r) => /not issued to \(browser family changed\)/.test(r)),
        why.reasons.join('; '),
      )
      // The identifier the attacker got back is its own visitor's.
      const own = verifyToken(
        (await getSetting(s.sl.db.kysely, 'token_secret'))!,
        s.demo.id,
        attacker.json.storedId,
      )
      assert.equal(own.status === 'valid' && own.visitorId, attacker.json.visitorId)

      // The demo history: only the attacker's own visit, read with its own identifier.
      const mine = await history({ requestId: attacker.json.requestId, storedId: attacker.json.storedId })
      assert.equal(mine.status, 200)
      const visits = (await mine.json()) as { visitorId: string; url: string }[]
      assert.equal(visits.length, 1)
      assert.equal(visits[0]!.visitorId, attacker.json.visitorId)
      // Neither the victim's identifier with the attacker's identification, nor ids alone, read anything.
      const stolen = await history({ requestId: attacker.json.requestId, storedId: victim.json.storedId })
      assert.equal(stolen.status, 404)
      const byIds = await fetch(
        `${s.url}/demo/history?visitorId=${victim.json.visitorId}&requestId=${victim.json.requestId}`,
      )
      assert.equal(byIds.status, 404)
      assert.equal((await history({ requestId: victim.json.requestId, storedId: 'x.y.z' })).status, 404)
      assert.equal((await history({ requestId: 1 })).status, 400)
    })

    it('a version going down or another OS is not trusted; an update is', async () => {
      const first = await identify(browser(CHROME_LINUX(131), { canvas: { text: 'upd', stable: true } }))
      const older = await identify(
        browser(CHROME_LINUX(120), { canvas: { text: 'older', stable: true } }),
        first.json.storedId,
      )
      assert.notEqual(older.json.visitorId, first.json.visitorId)
      assert.match((await visit(older.json.requestId)).reasons.join(';'), /browser version went down/)
      const windows = await identify(
        browser(CHROME_LINUX(131).replace('X11; Linux x86_64', 'Windows NT 10.0; Win64; x64'), {
          canvas: { text: 'win', stable: true },
        }),
        first.json.storedId,
      )
      assert.notEqual(windows.json.visitorId, first.json.visitorId)
      assert.equal((await visit(windows.json.requestId)).storedId, 'untrusted')

      const updated = await identify(
        browser(CHROME_LINUX(132), { canvas: { text: 'upd', stable: true } }),
        first.json.storedId,
      )
      assert.equal(updated.json.visitorId, first.json.visitorId)
      assert.equal(updated.json.confidence.score, 1)
      assert.equal((await visit(updated.json.requestId)).path, 'storedId')
    })

    it('identifiers expire after the configured age and are re-issued on every use', async () => {
      const b = browser(CHROME_LINUX(131), { canvas: { text: 'exp', stable: true } })
      const first = await identify(b)
      const secret = (await getSetting(s.sl.db.kysely, 'token_secret'))!
      // Another canvas a minute later: only a trusted identifier can carry the visitor over.
      const moved = browser(CHROME_LINUX(131), { canvas: { text: 'exp-moved', stable: true } })
      const old = issueToken(secret, s.demo.id, first.json.visitorId, Date.now() - 31 * DAY)
      const expired = await identify(moved, old)
      assert.notEqual(expired.json.visitorId, first.json.visitorId)
      const why = await visit(expired.json.requestId)
      assert.equal(why.storedId, 'expired')
      assert.notEqual(why.path, 'storedId')
      assert.match(why.reasons.join(';'), /stored identifier expired/)

      const recent = issueToken(secret, s.demo.id, first.json.visitorId, Date.now() - 29 * DAY)
      const kept = await identify(moved, recent)
      assert.equal(kept.json.visitorId, first.json.visitorId)
      assert.notEqual(kept.json.storedId, recent)
      const reissued = verifyToken(secret, s.demo.id, kept.json.storedId)
      assert.equal(reissued.status, 'valid')
      assert.ok(reissued.status === 'valid' && Date.now() - reissued.issuedAt < 60_000)
    })
  })

  describe(`token secret rotation (${dialectName(dialect)})`, () => {
    it('keeps the previous secret valid for the grace period only', async () => {
      const db = await openTestDb(dialect)
      try {
        const { initDatabase } = await import('../src/store/init.js')
        await initDatabase(db, { demo: false })
        const before = await readTokenSecrets(db.kysely, Date.now())
        assert.equal(before.previous, null)
        const now = Date.now()
        await rotateTokenSecret(db.kysely, 7 * DAY, now)
        const during = await readTokenSecrets(db.kysely, now + 6 * DAY)
        assert.notEqual(during.current, before.current)
        assert.equal(during.previous, before.current)
        assert.equal((await readTokenSecrets(db.kysely, now + 7 * DAY + 1)).previous, null)

        const keys = await tokenKeySource(db.kysely, 30 * DAY, 0)()
        const vid = 'AbCdEfGhIjKlMnOpQrSt'
        const oldToken = issueToken(before.current, 'app_1', vid, now)
        assert.equal(verifyToken(keys.verify, 'app_1', oldToken).status, 'valid')
        assert.equal(keys.issue, during.current)
        await rotateTokenSecret(db.kysely, 0, Date.now())
        const after = await tokenKeySource(db.kysely, 30 * DAY, 0)()
        assert.equal(verifyToken(after.verify, 'app_1', oldToken).status, 'invalid')
      } finally {
        await db.close()
      }
    })
  })
}

describe('trustStoredId', () => {
  it('passes through anything but a valid identifier with a known profile', () => {
    const p = {
      stable: {},
      browser: 'Chrome',
      major: 131,
      os: 'Linux',
      network: { ip: '1.1.1.1', prefix: '1.1.1.0/24', asn: null, country: null },
      seenAt: 0,
    }
    assert.deepEqual(trustStoredId({ status: 'absent' }, p, p), { status: 'absent' })
    const valid = { status: 'valid', visitorId: 'v', issuedAt: 1 } as const
    assert.equal(trustStoredId(valid, null, p), valid)
    assert.equal(trustStoredId(valid, p, { ...p, major: 132 }), valid)
    assert.deepEqual(trustStoredId(valid, p, { ...p, browser: 'Firefox' }), {
      status: 'untrusted',
      visitorId: 'v',
      why: 'browser family changed',
    })
  })
})

describe('demo page in Chromium', () => {
  let s: TestServer
  let chromium: Awaited<ReturnType<typeof launch>>
  before(async () => {
    s = await startServer()
    chromium = await launch()
  })
  after(async () => {
    await chromium?.close()
    await s?.close()
  })

  it("shows the browser's own history, read with its own identifier", async () => {
    const page = await chromium.context.newPage()
    const rows = async () => {
      await page.goto(`${s.url}/`)
      await page.waitForFunction(() => {
        const first = document.querySelector('#history tr td')
        return first !== null && first.textContent !== '…'
      })
      return page.$$eval('#history tr', (trs) => trs.map((tr: Element) => tr.textContent ?? ''))
    }
    const first = await rows()
    assert.equal(first.length, 1, first.join('\n'))
    assert.match(first[0]!, /Chrome .* on Linux/)
    const second = await rows()
    assert.equal(second.length, 2, second.join('\n'))
    await page.close()
  })
})
