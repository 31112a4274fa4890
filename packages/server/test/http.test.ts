import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { gunzipSync } from 'node:zlib'
import { createApp } from '../src/store/apps.js'
import { components, DIALECTS, dialectName, post, startServer, type TestServer } from './helpers.js'

const PAGE = 'https://shop.example/checkout?step=2'

for (const dialect of DIALECTS) {
  describe(`HTTP API (${dialectName(dialect)})`, () => {
    let s: TestServer
    before(async () => {
      s = await startServer({ trustProxy: true }, {}, { dialect })
    })
    after(() => s.close())

    const identify = (extra: Record<string, unknown> = {}, headers: Record<string, string> = {}) =>
      post(s.url, { v: 1, apiKey: s.publicKey, url: PAGE, components: components(), ...extra }, headers)

    describe('health', () => {
      it('healthz and readyz answer, readyz reports the database, migrations and geo data', async () => {
        assert.deepEqual(await (await fetch(`${s.url}/healthz`)).json(), { status: 'ok' })
        const res = await fetch(`${s.url}/readyz`)
        assert.equal(res.status, 200)
        const body = (await res.json()) as any
        assert.equal(body.status, 'ready')
        assert.equal(body.checks.database.ok, true)
        assert.deepEqual(body.checks.migrations.pending, [])
        assert.match(body.checks.geo.cityDbBuildDate, /^\d{4}-\d{2}-\d{2}/)
      })
    })

    describe('agent script', () => {
      it('serves /agent.js as JavaScript, gzipped on request, with an ETag', async () => {
        const res = await fetch(`${s.url}/agent.js`, { headers: { 'accept-encoding': 'identity' } })
        assert.equal(res.status, 200)
        assert.match(res.headers.get('content-type') ?? '', /javascript/)
        const body = await res.text()
        assert.match(body, /Sightline/)
        const etag = res.headers.get('etag')
        assert.ok(etag)
        const again = await fetch(`${s.url}/agent.js`, { headers: { 'if-none-match': etag } })
        assert.equal(again.status, 304)
        const hashed = await fetch(`${s.url}/agent.${etag.slice(1, -1)}.js`)
        assert.match(hashed.headers.get('cache-control') ?? '', /immutable/)
      })
      it('gzip body matches the plain one', async () => {
        const { request } = await import('node:http')
        const gz = await new Promise<Buffer>((resolve, reject) => {
          request(`${s.url}/agent.js`, { headers: { 'accept-encoding': 'gzip' } }, (res) => {
            const chunks: Buffer[] = []
            res.on('data', (c) => chunks.push(c))
            res.on('end', () => resolve(Buffer.concat(chunks)))
          })
            .on('error', reject)
            .end()
        })
        const plain = await (
          await fetch(`${s.url}/agent.js`, { headers: { 'accept-encoding': 'identity' } })
        ).text()
        assert.equal(gunzipSync(gz).toString(), plain)
      })
    })

    describe('ingest', () => {
      it('identifies a new visitor, then finds it by stored identifier and by fingerprint', async () => {
        const first = await identify()
        assert.equal(first.status, 200)
        assert.match(first.json.requestId, /^\d{13}\.[A-Za-z0-9]{6}$/)
        assert.match(first.json.visitorId, /^[A-Za-z0-9]{20}$/)
        assert.equal(first.json.visitorFound, false)
        assert.equal(typeof first.json.confidence.score, 'number')
        assert.equal(typeof first.json.storedId, 'string')

        const byToken = await identify({ storedId: first.json.storedId })
        assert.equal(byToken.json.visitorId, first.json.visitorId)
        assert.equal(byToken.json.visitorFound, true)
        assert.equal(byToken.json.confidence.score, 1)

        const byFingerprint = await identify({ storedId: null })
        assert.equal(byFingerprint.json.visitorId, first.json.visitorId)
        assert.equal(byFingerprint.json.visitorFound, true)

        const tampered = `${first.json.storedId.slice(0, -2)}xx`
        const other = await identify({
          storedId: tampered,
          components: components({ hardwareConcurrency: 3 }),
        })
        assert.notEqual(other.json.visitorId, first.json.visitorId)
        assert.equal(other.json.visitorFound, false)
      })

      it('extendedResult adds browser, OS, IP, location, incognito and first/last seen', async () => {
        const xff = { 'x-forwarded-for': '8.8.8.8' }
        const c = components({ platform: 'Extended' })
        const a = await identify({ extendedResult: true, components: c }, xff)
        assert.equal(a.status, 200)
        assert.equal(a.json.browserName, 'Chrome')
        assert.equal(a.json.browserVersion, '131.0.0.0')
        assert.equal(a.json.os, 'Mac OS X')
        assert.equal(a.json.osVersion, '10.15.7')
        assert.equal(a.json.ip, '8.8.8.8')
        assert.equal(a.json.ipLocation.country.code, 'US')
        assert.equal(a.json.ipLocation.timezone, 'America/Los_Angeles')
        assert.equal(a.json.incognito, false)
        assert.match(a.json.firstSeenAt.subscription, /^\d{4}-\d{2}-\d{2}T/)
        assert.equal(a.json.firstSeenAt.global, null)
        assert.equal(a.json.lastSeenAt.subscription, null)
        const b = await identify({ extendedResult: true, storedId: a.json.storedId, components: c }, xff)
        assert.equal(b.json.firstSeenAt.subscription, a.json.firstSeenAt.subscription)
        assert.ok(Date.parse(b.json.lastSeenAt.subscription) >= Date.parse(a.json.firstSeenAt.subscription))
        const plain = await identify({ storedId: a.json.storedId, components: c })
        assert.deepEqual(Object.keys(plain.json).sort(), [
          'confidence',
          'requestId',
          'storedId',
          'visitorFound',
          'visitorId',
        ])
      })

      it('a stored identifier keeps the visitor when the fingerprint changes', async () => {
        const a = await identify({
          components: components({ screen: { width: 800, height: 600, colorDepth: 24 } }),
        })
        const b = await identify({
          storedId: a.json.storedId,
          components: components({ screen: { width: 2560, height: 1440, colorDepth: 24 } }),
        })
        assert.equal(b.json.visitorId, a.json.visitorId)
      })

      it('a stored identifier from another app is ignored', async () => {
        const other = await createApp(s.sl.db.kysely, { name: 'Other' })
        const theirs = await post(s.url, {
          apiKey: other.publicKey,
          url: PAGE,
          components: components({ platform: 'Other' }),
        })
        const ours = await identify({
          storedId: theirs.json.storedId,
          components: components({ platform: 'Mine' }),
        })
        assert.notEqual(ours.json.visitorId, theirs.json.visitorId)
        assert.equal(ours.json.visitorFound, false)
      })

      it('answers CORS for any origin by default, and a preflight', async () => {
        const res = await identify({}, { origin: 'https://shop.example' })
        assert.equal(res.headers.get('access-control-allow-origin'), 'https://shop.example')
        const pre = await fetch(`${s.url}/v1/identify`, {
          method: 'OPTIONS',
          headers: { origin: 'https://shop.example', 'access-control-request-method': 'POST' },
        })
        assert.equal(pre.status, 204)
        assert.match(pre.headers.get('access-control-allow-methods') ?? '', /POST/)
      })

      it('enforces an app origin allowlist', async () => {
        const app = await createApp(s.sl.db.kysely, {
          name: 'Strict',
          allowedOrigins: ['https://good.example'],
        })
        const body = { apiKey: app.publicKey, url: PAGE, components: components() }
        assert.equal((await post(s.url, body, { origin: 'https://good.example' })).status, 200)
        const bad = await post(s.url, body, { origin: 'https://evil.example' })
        assert.equal(bad.status, 403)
        assert.match(bad.json.error.message, /evil\.example is not allowed/)
        assert.equal(bad.headers.get('access-control-allow-origin'), 'https://evil.example')
      })

      const bad: [string, unknown, number, RegExp][] = [
        ['missing key', { url: PAGE, components: {} }, 401, /^API key required$/],
        ['empty key', { apiKey: '', url: PAGE, components: {} }, 401, /^API key required$/],
        ['unknown key', { apiKey: 'pk_nope', url: PAGE, components: {} }, 403, /^API key not found$/],
        ['not JSON', '{"apiKey": ', 400, /not valid JSON/],
        ['empty body', '', 400, /empty|JSON/],
        ['JSON array', [], 400, /body/],
        ['components not an object', { apiKey: 'k', url: PAGE, components: 'x' }, 400, /components/],
        ['missing url', { apiKey: 'k', components: {} }, 400, /url/],
        ['relative url', { apiKey: 'PK', url: '/checkout', components: {} }, 400, /absolute URL/],
        ['javascript: url', { apiKey: 'PK', url: 'javascript:alert(1)', components: {} }, 400, /http/],
        [
          'bad component name',
          { apiKey: 'k', url: PAGE, components: { 'a b': { value: 1 } } },
          400,
          /components/,
        ],
        [
          'linkedId too long',
          { apiKey: 'k', url: PAGE, components: {}, linkedId: 'x'.repeat(300) },
          400,
          /linkedId/,
        ],
        [
          'tag too large',
          { apiKey: 'PK', url: PAGE, components: {}, tag: { x: 'y'.repeat(17000) } },
          400,
          /tag/,
        ],
        [
          'body too large',
          { apiKey: 'k', url: PAGE, components: { big: { value: 'x'.repeat(70000) } } },
          413,
          /large/,
        ],
      ]
      for (const [name, body, status, message] of bad) {
        it(`rejects ${name} with ${status} and a JSON message`, async () => {
          const payload =
            typeof body === 'object' && body !== null && !Array.isArray(body) && (body as any).apiKey === 'PK'
              ? { ...body, apiKey: s.publicKey }
              : body
          const res = await post(s.url, payload, { origin: 'https://shop.example' })
          assert.equal(res.status, status, JSON.stringify(res.json))
          assert.equal(typeof res.json.error.code, 'string')
          assert.match(res.json.error.message, message)
          assert.equal(res.headers.get('access-control-allow-origin'), 'https://shop.example')
        })
      }

      it('drops unknown top-level fields (newer agents may send more)', async () => {
        const marker = 'unknown-field-7f3a'
        const res = await identify({ futureField: { x: marker }, [`${marker}-key`]: 1, tag: { kept: 1 } })
        assert.equal(res.status, 200)
        const rows = await s.sl.db.kysely
          .selectFrom('visits')
          .selectAll()
          .where('request_id', '=', res.json.requestId)
          .execute()
        assert.equal(rows.length, 1)
        // Neither the unknown fields' names nor their values were stored, in any column; the known ones were.
        const stored = JSON.stringify(rows[0])
        assert.ok(!stored.includes(marker), stored)
        assert.ok(!stored.includes('futureField'), stored)
        assert.deepEqual(JSON.parse(rows[0]!.tag!), { kept: 1 })
        assert.equal(rows[0]!.url, PAGE)
        // Nor served back.
        const visits = await fetch(`${s.url}/v1/visitors/${res.json.visitorId}`, {
          headers: { auth: s.secretKey },
        })
        assert.equal(visits.status, 200)
        const served = await visits.text()
        // The spec's shape has no requestId: the visit is recognised by its visitor and its tag.
        assert.ok(served.includes(res.json.visitorId) && served.includes('"kept":1'), served)
        assert.ok(!served.includes(marker) && !served.includes('futureField'), served)
      })

      it('rejects an unsupported content type with 415', async () => {
        const res = await fetch(`${s.url}/v1/identify`, {
          method: 'POST',
          headers: { 'content-type': 'application/xml' },
          body: '<x/>',
        })
        assert.equal(res.status, 415)
      })

      it('survives hostile payloads without a 5xx and keeps serving', async () => {
        const hostile: unknown[] = [
          {
            apiKey: s.publicKey,
            url: PAGE,
            components: { a: { value: { nested: Array(50).fill({ x: [1, 2] }) } } },
          },
          {
            apiKey: s.publicKey,
            url: PAGE,
            components: { userAgent: { value: 12 }, uaHints: { value: 'x' } },
          },
          {
            apiKey: s.publicKey,
            url: PAGE,
            components: { webdriver: { value: [null] }, uaHints: { value: { brands: 7 } } },
          },
          { apiKey: s.publicKey, url: PAGE, components: {}, storedId: '.'.repeat(200) },
          { apiKey: s.publicKey, url: PAGE, components: { __proto__: { value: 1 } } },
          { apiKey: s.publicKey, url: PAGE, components: { constructor: { value: 1 } } },
          { apiKey: ['a'], url: PAGE, components: {} },
          { apiKey: s.publicKey, url: `https://x.example/${'a'.repeat(3000)}`, components: {} },
          null,
          42,
          '"string"',
        ]
        for (const body of hostile) {
          const res = await post(s.url, body)
          assert.ok(
            res.status < 500,
            `${JSON.stringify(body)?.slice(0, 80)} → ${res.status} ${JSON.stringify(res.json)}`,
          )
        }
        assert.equal((await identify()).status, 200)
      })

      it('reads the client IP from X-Forwarded-For only as TRUST_PROXY allows', async () => {
        const res = await identify({ tag: 'xff' }, { 'x-forwarded-for': '8.8.8.8' })
        const visits = await fetch(`${s.url}/v1/visitors/${res.json.visitorId}`, {
          headers: { auth: s.secretKey },
        })
        const visit = ((await visits.json()) as any[]).find((v) => v.tag === 'xff')
        assert.equal(visit.ip, '8.8.8.8')
        assert.equal(visit.ipLocation.country.isoCode, 'US')
      })
    })

    describe('GET /v1/visitors/:id', () => {
      it('serves the spec fields, newest first, tag exactly as sent', async () => {
        const tags = [2718281828, { orderId: 42, items: ['a', null, true] }, 'plain', null, [1, 2]]
        let visitorId = ''
        let storedId: string | null = null
        for (const tag of tags) {
          const r = await identify(
            { tag, storedId, components: components({ platform: 'Spec' }) },
            {
              'x-forwarded-for': '216.3.128.12',
            },
          )
          visitorId = r.json.visitorId
          storedId = r.json.storedId
        }
        const res = await fetch(`${s.url}/v1/visitors/${visitorId}`, { headers: { Auth: s.secretKey } })
        assert.equal(res.status, 200)
        const visits = (await res.json()) as any[]
        assert.equal(visits.length, tags.length)
        assert.deepEqual(
          visits.map((v) => v.tag),
          [...tags].reverse(),
        )
        const v = visits[0]
        assert.deepEqual(Object.keys(v), [
          'tag',
          'visitorId',
          'fingerprint',
          'timestamp',
          'url',
          'ip',
          'ipLocation',
          'visitorDetails',
        ])
        assert.equal(v.visitorId, visitorId)
        assert.match(v.fingerprint, /^[0-9a-f]{32}$/)
        assert.match(v.timestamp, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/)
        assert.equal(v.url, PAGE)
        assert.equal(v.ip, '216.3.128.12')
        assert.deepEqual(Object.keys(v.ipLocation).sort(), [
          'accuracyRadius',
          'city',
          'continent',
          'country',
          'latitude',
          'longitude',
          'organization',
          'postalCode',
          'subdivisions',
          'timeZone',
        ])
        assert.equal(v.ipLocation.country.isoCode, 'US')
        assert.equal(v.ipLocation.continent.code, 'NA')
        assert.deepEqual(Object.keys(v.visitorDetails), [
          'browserFullVersion',
          'browserSaysItsBot',
          'browserMajorVersion',
          'browserName',
          'browserPlatformName',
          'browserPlatformVersion',
          'browserWebkitFullVersion',
          'browserHeadless',
          'botProbability',
        ])
        assert.equal(v.visitorDetails.browserName, 'Chrome')
        assert.equal(v.visitorDetails.browserMajorVersion, '131')
        assert.equal(v.visitorDetails.browserPlatformName, 'Macintosh')
        assert.equal(v.visitorDetails.browserWebkitFullVersion, '537.36')
        assert.equal(v.visitorDetails.browserSaysItsBot, false)
        assert.equal(typeof v.visitorDetails.botProbability, 'number')
        const times = visits.map((x) => x.timestamp)
        assert.deepEqual(times, [...times].sort().reverse())
      })

      it('GET /v1/visits/:requestId explains one identification', async () => {
        const first = await identify({ tag: 't1', components: components({ platform: 'Detail' }) })
        const second = await identify({
          storedId: null,
          linkedId: 'user-9',
          components: components({ platform: 'Detail' }),
        })
        const res = await fetch(`${s.url}/v1/visits/${second.json.requestId}`, {
          headers: { auth: s.secretKey },
        })
        assert.equal(res.status, 200)
        const v = (await res.json()) as any
        assert.equal(v.requestId, second.json.requestId)
        assert.equal(v.visitorId, first.json.visitorId)
        assert.equal(v.linkedId, 'user-9')
        assert.equal(v.identification.path, 'fingerprint')
        assert.ok(v.identification.reasons.includes('exact fingerprint match'))
        assert.equal(typeof v.bot.botProbability, 'number')
        assert.ok(Array.isArray(v.bot.reasons))
        assert.equal(v.components.platform.value, 'Detail')
        const other = await createApp(s.sl.db.kysely, { name: 'Detail reader' })
        const foreign = await fetch(`${s.url}/v1/visits/${second.json.requestId}`, {
          headers: { auth: other.secretKey },
        })
        assert.equal(foreign.status, 404)
        assert.deepEqual(await foreign.json(), { message: `RequestID ${second.json.requestId} not found` })
        assert.equal((await fetch(`${s.url}/v1/visits/${second.json.requestId}`)).status, 401)
      })

      it('pages with limit and before', async () => {
        let storedId: string | null = null
        let visitorId = ''
        for (let i = 0; i < 5; i++) {
          const r = await identify({ tag: i, storedId, components: components({ platform: 'Paging' }) })
          storedId = r.json.storedId
          visitorId = r.json.visitorId
        }
        const get = async (q: string) =>
          (await (
            await fetch(`${s.url}/v1/visitors/${visitorId}${q}`, { headers: { auth: s.secretKey } })
          ).json()) as any[]
        const all = await get('')
        assert.deepEqual(
          all.map((v) => v.tag),
          [4, 3, 2, 1, 0],
        )
        const page1 = await get('?limit=2')
        assert.deepEqual(
          page1.map((v) => v.tag),
          [4, 3],
        )
        // Paging needs the requestId of the last visit seen; the v1 shape has none, so fetch it from storage.
        const rows = await s.sl.db.kysely
          .selectFrom('visits')
          .select(['request_id', 'tag'])
          .where('visitor_id', '=', visitorId)
          .execute()
        const last = rows.find((r) => r.tag === '3')!
        const page2 = await get(`?limit=2&before=${last.request_id}`)
        assert.deepEqual(
          page2.map((v) => v.tag),
          [2, 1],
        )
      })

      it('401 without Auth, 403 for an unknown key, 404 for unknown and foreign visitors, 400 for bad paging', async () => {
        const mine = await identify({ components: components({ platform: 'Auth' }) })
        const vid = mine.json.visitorId
        const noAuth = await fetch(`${s.url}/v1/visitors/${vid}`)
        assert.equal(noAuth.status, 401)
        assert.equal(typeof ((await noAuth.json()) as any).message, 'string')
        const wrong = await fetch(`${s.url}/v1/visitors/${vid}`, { headers: { auth: 'sk_wrong' } })
        assert.equal(wrong.status, 403)
        assert.equal(typeof ((await wrong.json()) as any).message, 'string')
        // The public key identifies only: it cannot read.
        const pub = await fetch(`${s.url}/v1/visitors/${vid}`, { headers: { auth: s.publicKey } })
        assert.equal(pub.status, 403)
        const missing = await fetch(`${s.url}/v1/visitors/42`, { headers: { auth: s.secretKey } })
        assert.equal(missing.status, 404)
        assert.deepEqual(await missing.json(), { message: 'VisitorID 42 not found' })
        const other = await createApp(s.sl.db.kysely, { name: 'Reader' })
        const foreign = await fetch(`${s.url}/v1/visitors/${vid}`, { headers: { auth: other.secretKey } })
        assert.equal(foreign.status, 404)
        assert.deepEqual(await foreign.json(), { message: `VisitorID ${vid} not found` })
        for (const q of [
          '?limit=0',
          '?limit=1001',
          '?limit=abc',
          '?before=nope',
          '?before=1732570000000.AAAAAA',
        ]) {
          const res = await fetch(`${s.url}/v1/visitors/${vid}${q}`, { headers: { auth: s.secretKey } })
          assert.equal(res.status, 400, q)
          assert.equal(typeof ((await res.json()) as any).message, 'string')
        }
      })
    })

    it('unknown routes get a JSON 404', async () => {
      const res = await fetch(`${s.url}/nope`)
      assert.equal(res.status, 404)
      assert.match(((await res.json()) as any).message, /not found/)
    })
  })
}

describe('without TRUST_PROXY', () => {
  let s: TestServer
  before(async () => {
    s = await startServer()
  })
  after(() => s.close())
  it('ignores X-Forwarded-For: the socket address is the client', async () => {
    const r = await post(
      s.url,
      { apiKey: s.publicKey, url: PAGE, components: components() },
      { 'x-forwarded-for': '8.8.8.8' },
    )
    const visits = (await (
      await fetch(`${s.url}/v1/visitors/${r.json.visitorId}`, { headers: { auth: s.secretKey } })
    ).json()) as any[]
    assert.equal(visits[0].ip, '127.0.0.1')
    assert.equal(visits[0].ipLocation, null)
  })
})
