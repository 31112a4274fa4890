import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import {
  type Event,
  FingerprintServerApiClient,
  Region,
  type SearchEventsFilter,
} from '@fingerprint/node-sdk'
import { type Browser, chromium } from 'playwright-core'
import type { CreatedApp } from '../src/store/apps.js'
import { CHROMIUM, CHROMIUM_ARGS } from './browser.js'
import { DIALECTS, dialectName, startServer, type TestServer } from './helpers.js'
import {
  agentSite,
  browserOf,
  chromiumVisit,
  fetchTo,
  GOOGLEBOT_UA,
  identify,
  NO_LIMITS,
  newApp,
  newestFirst,
  sdkError,
} from './server-api-fixtures.js'

let browser: Browser
before(async () => {
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS })
})
after(() => browser?.close())

for (const dialect of DIALECTS) {
  describe(`Server API v4 through the unmodified v7 SDK (${dialectName(dialect)})`, () => {
    let s: TestServer
    before(async () => {
      s = await startServer({ trustProxy: true }, NO_LIMITS, { dialect })
    })
    after(() => s?.close())

    const client = (app: { secretKey: string }) =>
      new FingerprintServerApiClient({ apiKey: app.secretKey, region: Region.Global, fetch: fetchTo(s.url) })
    const raw = (path: string, init: RequestInit = {}) => fetch(`${s.url}${path}`, init)

    it('serves a real Chromium visit as a flat v4 event', async () => {
      const app = await newApp(s)
      const site = await agentSite(s, app.publicKey)
      try {
        const r = await chromiumVisit(browser, site.url, { tag: { plan: 'pro' }, linkedId: 'user-5' })
        const event = await client(app).getEvent(r.requestId)
        assert.equal(event.event_id, r.requestId)
        assert.equal(event.identification?.visitor_id, r.visitorId)
        assert.equal(event.identification?.visitor_found, false)
        assert.equal(event.linked_id, 'user-5')
        assert.deepEqual(event.tags, { plan: 'pro' })
        assert.equal(event.timestamp, Number(r.requestId.split('.')[0]))
        const res = await raw(`/v4/events/${r.requestId}`, {
          headers: { authorization: `Bearer ${app.secretKey}` },
        })
        assert.match(res.headers.get('content-type') ?? '', /^application\/json/)
        const search = await client(app).searchEvents({ visitor_id: r.visitorId })
        assert.deepEqual(
          search.events.map((e) => e.event_id),
          [r.requestId],
        )
        assert.equal(search.pagination_key, undefined)
      } finally {
        await site.close()
      }
    })

    it('getEvent errors: snake_case codes', async () => {
      const app = await newApp(s)
      const other = await newApp(s, 'Other')
      const e = await identify(s, app, { ip: '198.51.100.30', signals: { hardwareConcurrency: 5 } })
      const unknown = await sdkError(client(app).getEvent('1700000000000.abcdef'))
      assert.equal(unknown.statusCode, 404)
      assert.equal(unknown.errorCode, 'event_not_found')
      assert.equal((await sdkError(client(other).getEvent(e.requestId))).errorCode, 'event_not_found')
      const wrong = await sdkError(client({ secretKey: 'sk_wrong' }).getEvent(e.requestId))
      assert.equal(wrong.statusCode, 403)
      assert.equal(wrong.errorCode, 'secret_api_key_not_found')
      for (const headers of [
        {},
        { 'auth-api-key': app.secretKey },
        { authorization: app.secretKey },
      ] as Record<string, string>[]) {
        const res = await raw(`/v4/events/${e.requestId}`, { headers })
        assert.equal(res.status, 403, JSON.stringify(Object.keys(headers)))
        const body = (await res.json()) as { error: { code: string } }
        assert.equal(body.error.code, 'secret_api_key_required')
      }
    })

    it('updateEvent: linked_id, tags and suspect read back by getEvent and search', async () => {
      const app = await newApp(s)
      const api = client(app)
      const e = await identify(s, app, {
        ip: '198.51.100.31',
        tag: { a: 1 },
        signals: { hardwareConcurrency: 6 },
      })
      await api.updateEvent(e.requestId, { linked_id: 'acct-3', tags: { risk: 'high' }, suspect: true })
      const ev = await api.getEvent(e.requestId)
      assert.equal(ev.linked_id, 'acct-3')
      assert.deepEqual(ev.tags, { risk: 'high' })
      assert.equal(ev.suspect, true)
      const found = async (f: SearchEventsFilter) => (await api.searchEvents(f)).events.map((x) => x.event_id)
      assert.deepEqual(await found({ suspect: true }), [e.requestId])
      assert.deepEqual(await found({ linked_id: 'acct-3' }), [e.requestId])
      assert.deepEqual(await found({ suspect: false }), [])
      await api.updateEvent(e.requestId, { suspect: false })
      const after = await api.getEvent(e.requestId)
      assert.equal(after.suspect, false)
      assert.equal(after.linked_id, 'acct-3')

      for (const body of [{}, { tags: 'x' }, { tags: [1] }, { suspect: 'yes' }, { linkedId: 'v3 name' }]) {
        const err = await sdkError(api.updateEvent(e.requestId, body as never))
        assert.equal(err.statusCode, 400, JSON.stringify(body))
        assert.equal(err.errorCode, 'request_cannot_be_parsed')
      }
      const bad = await raw(`/v4/events/${e.requestId}`, {
        method: 'PATCH',
        headers: { authorization: `Bearer ${app.secretKey}`, 'content-type': 'application/json' },
        body: '{"suspect":',
      })
      assert.equal(bad.status, 400)
      const unknown = await sdkError(api.updateEvent('1700000000000.abcdef', { suspect: true }))
      assert.equal(unknown.statusCode, 404)
      assert.equal(unknown.errorCode, 'event_not_found')
      const other = await newApp(s, 'Other')
      assert.equal(
        (await sdkError(client(other).updateEvent(e.requestId, { suspect: true }))).errorCode,
        'event_not_found',
      )
    })

    describe('searchEvents', () => {
      let app: CreatedApp
      const made: { requestId: string; visitorId: string; ip: string }[] = []
      before(async () => {
        app = await newApp(s, 'Search')
        const p = browserOf(s, app, { hardwareConcurrency: 2 })
        const q = browserOf(s, app, { hardwareConcurrency: 3 })
        const ips = ['10.9.8.7', '2001:db8:5::1', '10.9.8.7', '172.20.1.1', '2001:db8:5::2', '10.9.9.9']
        for (let i = 0; i < 14; i++) {
          const who = i % 3 ? p : q
          const ip = ips[i % ips.length]!
          const r = await who({ ip, ...(i === 4 ? { userAgent: GOOGLEBOT_UA } : {}) })
          made.push({ requestId: r.requestId, visitorId: r.visitorId, ip })
        }
      })
      const ids = (xs: typeof made) => xs.map((m) => m.requestId)

      async function walk(filter: SearchEventsFilter = {}) {
        const out: string[] = []
        let key: string | undefined
        for (let pages = 0; ; pages++) {
          assert.ok(pages < 50, 'pagination ends')
          const page = await client(app).searchEvents({ ...filter, ...(key ? { pagination_key: key } : {}) })
          assert.ok(page.events.length <= (filter.limit ?? 10))
          out.push(...page.events.map((e: Event) => e.event_id))
          key = page.pagination_key
          if (!key) return out
        }
      }

      it('pages through everything, default limit 10, newest first or reversed', async () => {
        const first = await client(app).searchEvents({})
        assert.equal(first.events.length, 10)
        assert.ok(first.pagination_key)
        assert.deepEqual(await walk({}), ids(newestFirst(made)))
        assert.deepEqual(await walk({ limit: 3, reverse: true }), ids(made))
      })

      it('filters: visitor, address range, bot, time as RFC 3339 or ms; unknown parameters ignored', async () => {
        const visitor = made[0]!.visitorId
        assert.deepEqual(
          await walk({ limit: 2, visitor_id: visitor }),
          ids(newestFirst(made.filter((m) => m.visitorId === visitor))),
        )
        assert.deepEqual(
          await walk({ limit: 4, ip_address: '10.9.8.7' }),
          ids(newestFirst(made.filter((m) => m.ip === '10.9.8.7'))),
        )
        assert.deepEqual(
          await walk({ limit: 4, ip_address: '10.9.0.0/16' }),
          ids(newestFirst(made.filter((m) => m.ip.startsWith('10.9.')))),
        )
        assert.deepEqual(
          await walk({ limit: 4, ip_address: '2001:db8:5::/64' }),
          ids(newestFirst(made.filter((m) => m.ip.startsWith('2001:db8:5::')))),
        )
        const events = new Map(
          (await client(app).searchEvents({ limit: 100 })).events.map((e) => [e.event_id, e]),
        )
        const good = made.filter((m) => events.get(m.requestId)?.bot === 'good')
        assert.equal(good.length, 1)
        assert.deepEqual(await walk({ bot: 'good' }), ids(good))
        assert.deepEqual(
          await walk({ bot: 'none' }),
          ids(newestFirst(made.filter((m) => events.get(m.requestId)?.bot === 'not_detected'))),
        )
        const ts = (i: number) => events.get(made[i]!.requestId)!.timestamp
        const inRange = made.filter((_, i) => ts(i) >= ts(2) && ts(i) <= ts(8))
        assert.deepEqual(await walk({ limit: 3, start: ts(2), end: ts(8) }), ids(newestFirst(inRange)))
        // RFC 3339 to the millisecond, with an offset too.
        const rfc = (ms: number) => new Date(ms).toISOString()
        const plus2 = (ms: number) => rfc(ms + 2 * 3600_000).replace('Z', '+02:00')
        assert.deepEqual(
          await walk({ limit: 3, start: rfc(ts(2)), end: plus2(ts(8)) }),
          ids(newestFirst(inRange)),
        )
        assert.deepEqual(
          await walk({ environment: ['a', 'b'], bot_info_category: ['ai_agent'] } as SearchEventsFilter),
          ids(newestFirst(made)),
        )
      })

      it('refuses bad parameters with request_cannot_be_parsed', async () => {
        for (const q of [
          'limit=0',
          'limit=101',
          'start=soon',
          'end=2026-13-45',
          'ip_address=10.0.0.0/40',
          'bot=robots',
          'pagination_key=abc',
          'visitor_id=a&visitor_id=b',
        ]) {
          const res = await raw(`/v4/events?${q}`, { headers: { authorization: `Bearer ${app.secretKey}` } })
          assert.equal(res.status, 400, q)
          assert.equal(
            ((await res.json()) as { error: { code: string } }).error.code,
            'request_cannot_be_parsed',
            q,
          )
        }
        const e = await sdkError(client(app).searchEvents({ limit: 1000 }))
        assert.equal(e.errorCode, 'request_cannot_be_parsed')
        assert.equal(
          (await sdkError(client({ secretKey: 'sk_x' }).searchEvents({}))).errorCode,
          'secret_api_key_not_found',
        )
      })
    })

    it('deleteVisitorData: everything gone at once, then 404 visitor_not_found', async () => {
      const app = await newApp(s)
      const api = client(app)
      const who = browserOf(s, app, { hardwareConcurrency: 21 })
      const a = await who({ ip: '198.51.100.40', linkedId: 'gdpr' })
      const b = await who({ ip: '198.51.100.41' })
      const other = await newApp(s, 'Other')
      const foreign = await sdkError(client(other).deleteVisitorData(a.visitorId))
      assert.equal(foreign.statusCode, 404)
      assert.equal(foreign.errorCode, 'visitor_not_found')
      assert.equal((await api.getEvent(a.requestId)).event_id, a.requestId)

      await api.deleteVisitorData(a.visitorId)
      for (const r of [a, b]) {
        assert.equal((await sdkError(api.getEvent(r.requestId))).errorCode, 'event_not_found')
        assert.equal(
          (await raw(`/v1/visits/${r.requestId}`, { headers: { Auth: app.secretKey } })).status,
          404,
        )
      }
      assert.equal(
        (await raw(`/v1/visitors/${a.visitorId}`, { headers: { Auth: app.secretKey } })).status,
        404,
      )
      assert.deepEqual((await api.searchEvents({ visitor_id: a.visitorId })).events, [])
      assert.deepEqual((await api.searchEvents({ linked_id: 'gdpr' })).events, [])
      const again = await sdkError(api.deleteVisitorData(a.visitorId))
      assert.equal(again.statusCode, 404)
      assert.equal(again.errorCode, 'visitor_not_found')
      const noAuth = await raw(`/v4/visitors/${a.visitorId}`, { method: 'DELETE' })
      assert.equal(noAuth.status, 403)
    })
  })
}
