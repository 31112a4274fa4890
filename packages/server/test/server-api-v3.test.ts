import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import {
  AuthenticationMode,
  FingerprintJsServerApiClient,
  Region,
} from '@fingerprintjs/fingerprintjs-pro-server-api'
import { type Browser, chromium } from 'playwright-core'
import type { CreatedApp } from '../src/store/apps.js'
import { type Cursor, cidrContains, parseCidr, searchVisits } from '../src/store/event-search.js'
import { CHROMIUM, CHROMIUM_ARGS } from './browser.js'
import { DIALECTS, dialectName, startServer, type TestServer } from './helpers.js'
import {
  agentSite,
  browserOf,
  chromiumVisit,
  FIREFOX_MAC_UA,
  fetchTo,
  GOOGLEBOT_UA,
  identify,
  NO_LIMITS,
  newApp,
  newestFirst,
  sdkError,
} from './server-api-fixtures.js'

type Client = FingerprintJsServerApiClient
type Products = Record<string, { data?: any }>

let browser: Browser
before(async () => {
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS })
})
after(() => browser?.close())

for (const dialect of DIALECTS) {
  describe(`Server API v3 through the unmodified v6 SDK (${dialectName(dialect)})`, () => {
    let s: TestServer
    before(async () => {
      s = await startServer({ trustProxy: true }, NO_LIMITS, { dialect })
    })
    after(() => s?.close())

    const client = (app: { secretKey: string }, mode = AuthenticationMode.AuthHeader): Client =>
      new FingerprintJsServerApiClient({
        apiKey: app.secretKey,
        region: Region.Global,
        authenticationMode: mode,
        fetch: fetchTo(s.url),
      })
    const raw = (path: string, init: RequestInit = {}) => fetch(`${s.url}${path}`, init)
    const identification = (e: { products: Products }) => e.products.identification?.data

    it('serves real Chromium visits: getEvent and getVisits', async () => {
      const app = await newApp(s)
      const site = await agentSite(s, app.publicKey)
      try {
        const ctx = await browser.newContext()
        const first = await chromiumVisit(browser, site.url, { tag: { cart: 3 }, linkedId: 'order-77' }, ctx)
        const second = await chromiumVisit(browser, site.url, {}, ctx)
        await ctx.close()
        assert.equal(second.visitorId, first.visitorId)
        const api = client(app)
        const event = await api.getEvent(first.requestId)
        const id = identification(event as { products: Products })
        assert.equal(id.requestId, first.requestId)
        assert.equal(id.visitorId, first.visitorId)
        assert.deepEqual(id.tag, { cart: 3 })
        assert.equal(id.linkedId, 'order-77')
        assert.equal(id.visitorFound, false)
        assert.match(id.browserDetails.browserName, /Chrom/)
        assert.equal(event.products.botd?.data?.requestId, first.requestId)

        const visits = await api.getVisits(first.visitorId)
        assert.equal(visits.visitorId, first.visitorId)
        assert.deepEqual(
          visits.visits.map((v) => v.requestId),
          [second.requestId, first.requestId],
        )
        assert.equal(visits.paginationKey, undefined)
        const [newer, older] = visits.visits
        assert.equal(
          newer?.lastSeenAt.subscription,
          older?.time,
          "lastSeenAt is the visitor's previous visit",
        )
        assert.equal(older?.lastSeenAt.subscription, null)
        assert.equal(newer?.firstSeenAt.subscription, older?.time)
        assert.equal(newer?.visitorFound, true)
      } finally {
        await site.close()
      }
    })

    it('getVisits pages through a history: every visit once, newest first, lastSeenAt chained', async () => {
      const app = await newApp(s)
      const visit = browserOf(s, app, { hardwareConcurrency: 6 })
      const made = []
      for (let i = 0; i < 7; i++)
        made.push(await visit({ ip: '198.51.100.7', linkedId: i % 2 ? 'odd' : 'even' }))
      const visitorId = made[0]!.visitorId
      assert.ok(made.every((m) => m.visitorId === visitorId))
      const api = client(app)
      const seen: Awaited<ReturnType<Client['getVisits']>>['visits'] = []
      let paginationKey: string | undefined
      let pages = 0
      do {
        const page = await api.getVisits(visitorId, { limit: 3, ...(paginationKey ? { paginationKey } : {}) })
        pages++
        assert.ok(page.visits.length <= 3)
        seen.push(...page.visits)
        paginationKey = page.paginationKey
        if (paginationKey) {
          assert.equal(paginationKey, page.visits.at(-1)?.requestId)
          assert.equal(page.lastTimestamp, page.visits.at(-1)?.timestamp)
        }
      } while (paginationKey)
      assert.equal(pages, 3)
      assert.deepEqual(
        seen.map((v) => v.requestId),
        newestFirst(made).map((m) => m.requestId),
      )
      for (const [i, v] of seen.entries()) {
        assert.equal(v.lastSeenAt.subscription, seen[i + 1]?.time ?? null)
        assert.equal(v.firstSeenAt.subscription, seen.at(-1)?.time)
      }

      const odd = await api.getVisits(visitorId, { linked_id: 'odd' })
      assert.deepEqual(
        odd.visits.map((v) => v.requestId),
        newestFirst(made.filter((_, i) => i % 2)).map((m) => m.requestId),
      )
      // Filtered, a visit's lastSeenAt is still the visitor's previous visit, filtered out or not.
      const byTime = new Map(seen.map((v, i) => [v.requestId, seen[i + 1]?.time ?? null]))
      for (const v of odd.visits) assert.equal(v.lastSeenAt.subscription, byTime.get(v.requestId))
      const one = await api.getVisits(visitorId, { request_id: made[2]!.requestId })
      assert.deepEqual(
        one.visits.map((v) => v.requestId),
        [made[2]!.requestId],
      )
      const cut = seen[3]!.timestamp
      const before = await api.getVisits(visitorId, { before: cut })
      assert.deepEqual(
        before.visits.map((v) => v.requestId),
        seen.filter((v) => v.timestamp < cut).map((v) => v.requestId),
      )
    })

    it('getVisits errors use the flat {error} form', async () => {
      const app = await newApp(s)
      const other = await newApp(s, 'Other')
      const mine = await identify(s, app, { ip: '198.51.100.8', signals: { hardwareConcurrency: 7 } })
      const unknown = await sdkError(client(app).getVisits('AAAAAAAAAAAAAAAAAAAA'))
      assert.equal(unknown.statusCode, 404)
      assert.equal(typeof unknown.responseBody.error, 'string')
      const foreign = await sdkError(client(other).getVisits(mine.visitorId))
      assert.equal(foreign.statusCode, 404, "another app's visitor is not found")
      const wrongKey = await sdkError(client({ secretKey: 'sk_wrong' }).getVisits(mine.visitorId))
      assert.equal(wrongKey.statusCode, 403)
      assert.equal(typeof wrongKey.responseBody.error, 'string')
      const noKey = await raw(`/visitors/${mine.visitorId}`)
      assert.equal(noKey.status, 403)
      assert.equal(typeof ((await noKey.json()) as { error: unknown }).error, 'string')
      const badLimit = await sdkError(client(app).getVisits(mine.visitorId, { limit: 0 }))
      assert.equal(badLimit.statusCode, 400)
      assert.equal(typeof badLimit.responseBody.error, 'string')
      const badKey = await sdkError(client(app).getVisits(mine.visitorId, { paginationKey: 'nope' }))
      assert.equal(badKey.statusCode, 400)
      // The key in the query string works as well as the header.
      const q = await client(app, AuthenticationMode.QueryParameter).getVisits(mine.visitorId)
      assert.equal(q.visits[0]?.requestId, mine.requestId)
    })

    it('getEvent: not found, another app, wrong or missing key', async () => {
      const app = await newApp(s)
      const other = await newApp(s, 'Other')
      const mine = await identify(s, app, { ip: '198.51.100.9', signals: { hardwareConcurrency: 9 } })
      for (const id of ['1700000000000.abcdef', 'not-a-request-id']) {
        const e = await sdkError(client(app).getEvent(id))
        assert.equal(e.statusCode, 404)
        assert.equal(e.errorCode, 'RequestNotFound')
      }
      const foreign = await sdkError(client(other).getEvent(mine.requestId))
      assert.equal(foreign.errorCode, 'RequestNotFound')
      const wrong = await sdkError(client({ secretKey: 'sk_wrong' }).getEvent(mine.requestId))
      assert.equal(wrong.statusCode, 403)
      assert.equal(wrong.errorCode, 'TokenNotFound')
      const missing = await raw(`/events/${mine.requestId}`)
      assert.equal(missing.status, 403)
      assert.equal(((await missing.json()) as { error: { code: string } }).error.code, 'TokenRequired')
      const publicKey = await sdkError(client({ secretKey: app.publicKey }).getEvent(mine.requestId))
      assert.equal(publicKey.errorCode, 'TokenNotFound', 'a public key cannot read')
      const viaQuery = await client(app, AuthenticationMode.QueryParameter).getEvent(mine.requestId)
      assert.equal(identification(viaQuery as { products: Products }).visitorId, mine.visitorId)
    })

    it('updateEvent: linkedId, tag and suspect are read back by getEvent, getVisits and search', async () => {
      const app = await newApp(s)
      const api = client(app)
      const e = await identify(s, app, {
        ip: '198.51.100.10',
        tag: { a: 1 },
        signals: { hardwareConcurrency: 11 },
      })
      await api.updateEvent(
        { linkedId: 'order-9', tag: { step: 'paid', items: [1, 2] }, suspect: true },
        e.requestId,
      )
      const id = identification((await api.getEvent(e.requestId)) as { products: Products })
      assert.equal(id.linkedId, 'order-9')
      assert.deepEqual(id.tag, { step: 'paid', items: [1, 2] })
      assert.equal(id.suspect, true)
      const visits = await api.getVisits(e.visitorId, { linked_id: 'order-9' })
      assert.deepEqual(
        visits.visits.map((v) => v.requestId),
        [e.requestId],
      )
      const ids = async (f: Parameters<Client['searchEvents']>[0]) =>
        ((await api.searchEvents(f)).events ?? []).map(
          (x) => identification(x as { products: Products }).requestId,
        )
      assert.deepEqual(await ids({ limit: 10, suspect: true }), [e.requestId])
      assert.deepEqual(await ids({ limit: 10, linked_id: 'order-9' }), [e.requestId])
      assert.deepEqual(await ids({ limit: 10, suspect: false }), [])
      // Only what the body names changes.
      await api.updateEvent({ suspect: false }, e.requestId)
      const after = identification((await api.getEvent(e.requestId)) as { products: Products })
      assert.equal(after.suspect, false)
      assert.equal(after.linkedId, 'order-9')
      assert.deepEqual(after.tag, { step: 'paid', items: [1, 2] })
      assert.deepEqual(await ids({ limit: 10, suspect: false }), [e.requestId])
      // The real API's content type is not required: JSON is JSON.
      const put = await raw(`/events/${e.requestId}`, {
        method: 'PUT',
        headers: { 'auth-api-key': app.secretKey, 'content-type': 'application/json' },
        body: JSON.stringify({ linkedId: 'order-10' }),
      })
      assert.equal(put.status, 200)
      assert.equal(
        identification((await api.getEvent(e.requestId)) as { products: Products }).linkedId,
        'order-10',
      )
    })

    it('updateEvent refuses bad input and unknown events', async () => {
      const app = await newApp(s)
      const other = await newApp(s, 'Other')
      const api = client(app)
      const e = await identify(s, app, { ip: '198.51.100.11', signals: { hardwareConcurrency: 13 } })
      for (const body of [
        {},
        { unknown: 1 },
        { tag: 'text' },
        { tag: [1] },
        { suspect: 'maybe' },
        { linkedId: {} },
      ]) {
        const err = await sdkError(api.updateEvent(body as never, e.requestId))
        assert.equal(err.statusCode, 400, JSON.stringify(body))
        assert.equal(err.errorCode, 'RequestCannotBeParsed')
      }
      for (const body of ['', '{not json', 'null']) {
        const res = await raw(`/events/${e.requestId}`, {
          method: 'PUT',
          headers: { 'auth-api-key': app.secretKey, 'content-type': 'text/plain;charset=UTF-8' },
          body,
        })
        assert.equal(res.status, 400, JSON.stringify(body))
        assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'RequestCannotBeParsed')
      }
      const big = await sdkError(api.updateEvent({ tag: { x: 'y'.repeat(17 * 1024) } }, e.requestId))
      assert.equal(big.statusCode, 400)
      const unknown = await sdkError(api.updateEvent({ suspect: true }, '1700000000000.abcdef'))
      assert.equal(unknown.statusCode, 404)
      assert.equal(unknown.errorCode, 'RequestNotFound')
      const foreign = await sdkError(client(other).updateEvent({ suspect: true }, e.requestId))
      assert.equal(foreign.errorCode, 'RequestNotFound')
      const wrong = await sdkError(
        client({ secretKey: 'sk_nope' }).updateEvent({ suspect: true }, e.requestId),
      )
      assert.equal(wrong.errorCode, 'TokenNotFound')
      const id = identification((await api.getEvent(e.requestId)) as { products: Products })
      assert.equal(id.suspect, false, 'nothing changed')
    })

    describe('searchEvents', () => {
      let app: CreatedApp
      let api: Client
      /** Every event made, oldest first, with what the filters look at. */
      const made: { requestId: string; visitorId: string; ip: string; linkedId?: string }[] = []

      before(async () => {
        app = await newApp(s, 'Search')
        api = client(app)
        const p = browserOf(s, app, { hardwareConcurrency: 2 })
        const q = browserOf(s, app, { hardwareConcurrency: 3 })
        const r = browserOf(s, app, { hardwareConcurrency: 4 })
        const plan: [typeof p, string, string?, string?][] = [
          [p, '10.1.2.3', 'order-1'],
          [q, '10.200.0.5'],
          [p, '10.1.2.3'],
          [r, '192.168.7.9', 'order-1'],
          [q, '2001:db8::5'],
          [p, '10.15.255.1'],
          [r, '2001:db8:1::7', undefined, GOOGLEBOT_UA],
          [q, '2001:dead::1'],
          [p, '10.16.0.1'],
          [r, '192.168.7.10', 'order-2'],
          [q, '10.1.2.3'],
          [p, '2001:db8::5', 'order-2'],
          [r, '172.16.5.4'],
        ]
        for (const [who, ip, linkedId, userAgent] of plan) {
          const res = await who({ ip, linkedId, ...(userAgent ? { userAgent } : {}) })
          made.push({
            requestId: res.requestId,
            visitorId: res.visitorId,
            ip,
            ...(linkedId ? { linkedId } : {}),
          })
        }
        assert.equal(new Set(made.map((m) => m.visitorId)).size, 3, 'three visitors')
      })

      async function walk(filter: Record<string, unknown>, limit: number) {
        const out: string[] = []
        let key: string | undefined
        let pages = 0
        do {
          const page = await api.searchEvents({
            limit,
            ...filter,
            ...(key ? { pagination_key: key } : {}),
          } as never)
          const events = page.events ?? []
          assert.ok(events.length <= limit)
          out.push(...events.map((e) => identification(e as { products: Products }).requestId as string))
          key = page.paginationKey
          if (++pages > 50) throw new Error('pagination does not end')
        } while (key)
        return out
      }
      const ids = (xs: typeof made) => xs.map((m) => m.requestId)

      it('walks every page: all events once, newest first; reverse is oldest first', async () => {
        const all = await walk({}, 4)
        assert.deepEqual(all, ids(newestFirst(made)))
        assert.deepEqual(await walk({ reverse: true }, 5), ids(made))
        assert.deepEqual(await walk({}, 100), all)
        const exact = await api.searchEvents({ limit: made.length })
        assert.equal(exact.events?.length, made.length)
        assert.equal(exact.paginationKey, undefined, 'no key when nothing is left')
      })

      it('filters by visitor, linked id, time, and ignores unknown parameters', async () => {
        const visitor = made[1]!.visitorId
        assert.deepEqual(
          await walk({ visitor_id: visitor }, 2),
          ids(newestFirst(made.filter((m) => m.visitorId === visitor))),
        )
        assert.deepEqual(await walk({ visitor_id: 'AAAAAAAAAAAAAAAAAAAA' }, 2), [])
        assert.deepEqual(
          await walk({ linked_id: 'order-1' }, 1),
          ids(newestFirst(made.filter((m) => m.linkedId === 'order-1'))),
        )
        const times = new Map<string, number>()
        for (const e of (await api.searchEvents({ limit: 100 })).events ?? []) {
          const id = identification(e as { products: Products })
          times.set(id.requestId, id.timestamp)
        }
        const start = times.get(made[3]!.requestId)!
        const end = times.get(made[9]!.requestId)!
        const inRange = made.filter((m) => times.get(m.requestId)! >= start && times.get(m.requestId)! <= end)
        assert.ok(inRange.length >= 7)
        assert.deepEqual(await walk({ start, end }, 3), ids(newestFirst(inRange)))
        assert.deepEqual(
          await walk({ start, end, reverse: true, visitor_id: made[0]!.visitorId }, 2),
          ids(inRange.filter((m) => m.visitorId === made[0]!.visitorId)),
        )
        // The SDK adds `ii`; `environment[]` and other filters we do not know are ignored.
        assert.deepEqual(
          await walk({ environment: ['env_a', 'env_b'], vpn: true }, 4),
          ids(newestFirst(made)),
        )
      })

      it('filters by IP address and CIDR range, IPv4 and IPv6', async () => {
        const inV4 = (ip: string, net: number[], bits: number) => {
          const parts = ip.split('.').map(Number)
          if (parts.length !== 4) return false
          const n = (a: number[]) => ((a[0]! << 24) | (a[1]! << 16) | (a[2]! << 8) | a[3]!) >>> 0
          const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0
          return (n(parts) & mask) >>> 0 === (n(net) & mask) >>> 0
        }
        const cases: [string, (m: (typeof made)[number]) => boolean][] = [
          ['10.1.2.3', (m) => m.ip === '10.1.2.3'],
          ['10.1.2.3/32', (m) => m.ip === '10.1.2.3'],
          ['10.0.0.0/8', (m) => inV4(m.ip, [10, 0, 0, 0], 8)],
          ['10.0.0.0/12', (m) => inV4(m.ip, [10, 0, 0, 0], 12)],
          ['10.16.0.0/12', (m) => inV4(m.ip, [10, 16, 0, 0], 12)],
          ['192.168.7.0/24', (m) => inV4(m.ip, [192, 168, 7, 0], 24)],
          ['172.16.0.0/12', (m) => inV4(m.ip, [172, 16, 0, 0], 12)],
          ['0.0.0.0/0', (m) => !m.ip.includes(':')],
          ['2001:db8::5', (m) => m.ip === '2001:db8::5'],
          ['2001:0db8:0000::0005/128', (m) => m.ip === '2001:db8::5'],
          ['2001:db8::/32', (m) => m.ip.startsWith('2001:db8:')],
          ['2001:db8::/48', (m) => m.ip === '2001:db8::5'],
          ['2001::/16', (m) => m.ip.startsWith('2001:')],
          ['::/0', (m) => m.ip.includes(':')],
          ['203.0.113.0/24', () => false],
        ]
        for (const [cidr, keep] of cases) {
          const expected = ids(newestFirst(made.filter(keep)))
          assert.deepEqual(await walk({ ip_address: cidr }, 2), expected, cidr)
        }
        assert.ok(
          made.some((m) => inV4(m.ip, [10, 0, 0, 0], 12)) && made.some((m) => inV4(m.ip, [10, 16, 0, 0], 12)),
        )
      })

      it('a range checked in JS reads bounded batches and still pages through every match once', async () => {
        let short = false
        // Worked out by hand: the addresses of the plan above inside each range.
        const members: Record<string, string[]> = {
          // 10.0.0.0 – 10.15.255.255 (not 10.16.0.1, not 10.200.0.5)
          '10.0.0.0/12': ['10.1.2.3', '10.15.255.1'],
          // 10.16.0.0 – 10.31.255.255
          '10.16.0.0/12': ['10.16.0.1'],
          // 2001:0db8:0000:… – 2001:0db8:ffff:… (not 2001:dead::1)
          '2001:db8::/32': ['2001:db8::5', '2001:db8:1::7'],
        }
        // And cidrContains at the edges of ranges, also by hand.
        const edges: [string, string, boolean][] = [
          ['10.0.0.0/12', '10.15.255.255', true],
          ['10.0.0.0/12', '10.16.0.0', false],
          ['10.0.0.0/12', '9.255.255.255', false],
          ['192.168.7.0/24', '192.168.7.255', true],
          ['192.168.7.0/24', '192.168.8.0', false],
          ['0.0.0.0/0', '255.255.255.255', true],
          ['10.0.0.0/8', '2001:db8::5', false],
          ['2001:db8::/32', '2001:db8:ffff:ffff:ffff:ffff:ffff:ffff', true],
          ['2001:db8::/32', '2001:db9::', false],
          ['2001:db8::/48', '2001:db8:0:ffff::1', true],
          ['2001:db8::/48', '2001:db8:1::', false],
        ]
        for (const [range, ip, inside] of edges)
          assert.equal(cidrContains(parseCidr(range)!, ip), inside, `${ip} in ${range}`)
        for (const range of Object.keys(members)) {
          const cidr = parseCidr(range)!
          const expected = ids(newestFirst(made.filter((m) => members[range]!.includes(m.ip))))
          assert.ok(expected.length >= 1, range)
          for (const reverse of [false, true]) {
            const got: string[] = []
            let after: Cursor | undefined
            for (let pages = 0; ; pages++) {
              assert.ok(pages < 50)
              const scan = { batch: 2, budget: 4 }
              const page = await searchVisits(s.sl.db.kysely, app.id, { ip: cidr, reverse }, 2, after, scan)
              assert.ok(page.rows.length <= 2)
              if (page.next && page.rows.length < 2) short = true
              got.push(...page.rows.map((r) => r.request_id))
              if (!page.next) break
              after = page.next
            }
            assert.deepEqual(got, reverse ? [...expected].reverse() : expected, `${range} reverse=${reverse}`)
          }
        }
        assert.ok(short, 'the scan budget ended some page early, with a key to go on')
      })

      it('filters by bot verdict and suspect flag', async () => {
        const verdict = new Map<string, string>()
        for (const m of made) {
          const e = (await api.getEvent(m.requestId)) as { products: Products }
          verdict.set(m.requestId, e.products.botd?.data?.bot.result)
        }
        assert.ok([...verdict.values()].includes('good'), 'a crawler that names itself is a good bot')
        const expect = (keep: (v: string) => boolean) =>
          ids(newestFirst(made.filter((m) => keep(verdict.get(m.requestId)!))))
        assert.deepEqual(
          await walk({ bot: 'good' }, 3),
          expect((v) => v === 'good'),
        )
        assert.deepEqual(
          await walk({ bot: 'bad' }, 3),
          expect((v) => v === 'bad'),
        )
        assert.deepEqual(
          await walk({ bot: 'all' }, 3),
          expect((v) => v !== 'notDetected'),
        )
        assert.deepEqual(
          await walk({ bot: 'none' }, 3),
          expect((v) => v === 'notDetected'),
        )
        assert.deepEqual(await walk({ suspect: true }, 3), [])
        assert.deepEqual(await walk({ suspect: false }, 5), ids(newestFirst(made)))
      })

      it('refuses bad parameters', async () => {
        const bad = [
          '', // limit is required
          'limit=0',
          'limit=101',
          'limit=ten',
          'limit=5&ip_address=10.0.0.0/33',
          'limit=5&ip_address=not-an-ip',
          'limit=5&ip_address=2001:db8::/129',
          'limit=5&bot=maybe',
          'limit=5&start=yesterday',
          'limit=5&pagination_key=%%%',
          'limit=5&pagination_key=bm90IGEga2V5',
          'limit=5&start=2000&end=1000',
          'limit=5&reverse=sideways',
        ]
        for (const q of bad) {
          const res = await raw(`/events/search?${q}`, { headers: { 'auth-api-key': app.secretKey } })
          assert.equal(res.status, 400, q)
          const body = (await res.json()) as { error: { code: string; message: string } }
          assert.equal(body.error.code, 'RequestCannotBeParsed', q)
          assert.ok(body.error.message.length > 0)
        }
        const e = await sdkError(api.searchEvents({ limit: 5, ip_address: '300.1.1.1' }))
        assert.equal(e.statusCode, 400)
        assert.equal(e.errorCode, 'RequestCannotBeParsed')
        const wrong = await sdkError(client({ secretKey: 'sk_wrong' }).searchEvents({ limit: 1 }))
        assert.equal(wrong.errorCode, 'TokenNotFound')
      })

      it("never shows another app's events", async () => {
        const other = await newApp(s, 'Other')
        const theirs = await identify(s, other, {
          ip: '10.1.2.3',
          linkedId: 'order-1',
          signals: { hardwareConcurrency: 2 },
        })
        const mine = await walk({ ip_address: '10.1.2.3' }, 10)
        assert.ok(!mine.includes(theirs.requestId))
        const res = await client(other).searchEvents({ limit: 10, visitor_id: made[0]!.visitorId })
        assert.deepEqual(res.events ?? [], [])
      })
    })

    it('deleteVisitorData: gone from every read at once; 404 for unknown or foreign visitors', async () => {
      const app = await newApp(s)
      const other = await newApp(s, 'Other')
      const api = client(app)
      const gone = browserOf(s, app, { hardwareConcurrency: 17 })
      const a = await gone({ ip: '198.51.100.20', linkedId: 'del-1' })
      const b = await gone({ ip: '198.51.100.21' })
      const kept = await identify(s, app, {
        ip: '198.51.100.20',
        linkedId: 'del-1',
        signals: { hardwareConcurrency: 18 },
      })
      assert.notEqual(kept.visitorId, a.visitorId)

      const foreign = await sdkError(client(other).deleteVisitorData(a.visitorId))
      assert.equal(foreign.statusCode, 404)
      assert.equal(foreign.errorCode, 'VisitorNotFound')
      assert.equal(
        (await api.getVisits(a.visitorId)).visits.length,
        2,
        "another app's delete touched nothing",
      )

      await api.deleteVisitorData(a.visitorId)
      assert.equal((await sdkError(api.getVisits(a.visitorId))).statusCode, 404)
      for (const r of [a, b]) {
        assert.equal((await sdkError(api.getEvent(r.requestId))).errorCode, 'RequestNotFound')
        const v1 = await raw(`/v1/visits/${r.requestId}`, { headers: { Auth: app.secretKey } })
        assert.equal(v1.status, 404)
      }
      assert.equal(
        (await raw(`/v1/visitors/${a.visitorId}`, { headers: { Auth: app.secretKey } })).status,
        404,
      )
      assert.deepEqual((await api.searchEvents({ limit: 10, visitor_id: a.visitorId })).events ?? [], [])
      const linked = (await api.searchEvents({ limit: 10, linked_id: 'del-1' })).events ?? []
      assert.deepEqual(
        linked.map((e) => identification(e as { products: Products }).requestId),
        [kept.requestId],
      )
      assert.equal((await api.getVisits(kept.visitorId)).visits.length, 1, 'other visitors keep their data')

      const again = await sdkError(api.deleteVisitorData(a.visitorId))
      assert.equal(again.statusCode, 404)
      assert.equal(again.errorCode, 'VisitorNotFound')
      const wrong = await sdkError(client({ secretKey: 'sk_wrong' }).deleteVisitorData(kept.visitorId))
      assert.equal(wrong.errorCode, 'TokenNotFound')
      const noKey = await raw(`/visitors/${kept.visitorId}`, { method: 'DELETE' })
      assert.equal(noKey.status, 403)
    })

    it('getRelatedVisitors: another browser on the same device, same address, same time', async () => {
      const app = await newApp(s)
      const api = client(app)
      const device = { hardwareConcurrency: 12, screen: { width: 1512, height: 982, colorDepth: 30 } }
      const chrome = await identify(s, app, { ip: '203.0.113.50', signals: device })
      const firefox = await identify(s, app, {
        ip: '203.0.113.50',
        userAgent: FIREFOX_MAC_UA,
        signals: { ...device, canvas: { text: 'ff', geometry: 'ff', stable: true } },
      })
      const otherScreen = await identify(s, app, {
        ip: '203.0.113.50',
        userAgent: FIREFOX_MAC_UA,
        signals: { ...device, screen: { width: 2560, height: 1440, colorDepth: 24 }, fonts: ['Arial'] },
      })
      const otherAddress = await identify(s, app, {
        ip: '203.0.113.51',
        userAgent: FIREFOX_MAC_UA,
        signals: { ...device, canvas: { text: 'f2', geometry: 'f2', stable: true } },
      })
      const sameBrowser = await identify(s, app, {
        ip: '203.0.113.50',
        signals: { ...device, canvas: { text: 'c2', geometry: 'c2', stable: true }, fonts: ['Menlo'] },
      })
      const visitors = [chrome, firefox, otherScreen, otherAddress, sameBrowser].map((v) => v.visitorId)
      assert.equal(new Set(visitors).size, visitors.length, 'five visitors')

      const related = await api.getRelatedVisitors({ visitor_id: chrome.visitorId })
      assert.deepEqual(related, { relatedVisitors: [{ visitorId: firefox.visitorId }] })
      const back = await api.getRelatedVisitors({ visitor_id: firefox.visitorId })
      assert.deepEqual(
        back.relatedVisitors.map((r) => r.visitorId).sort(),
        [chrome.visitorId, sameBrowser.visitorId].sort(),
      )
      assert.deepEqual(await api.getRelatedVisitors({ visitor_id: otherAddress.visitorId }), {
        relatedVisitors: [],
      })

      const unknown = await sdkError(api.getRelatedVisitors({ visitor_id: 'AAAAAAAAAAAAAAAAAAAA' }))
      assert.equal(unknown.statusCode, 404)
      assert.equal(unknown.errorCode, 'VisitorNotFound')
      const other = await newApp(s, 'Other')
      assert.equal(
        (await sdkError(client(other).getRelatedVisitors({ visitor_id: chrome.visitorId }))).statusCode,
        404,
      )
      const missing = await raw('/related-visitors', { headers: { 'auth-api-key': app.secretKey } })
      assert.equal(missing.status, 400)
    })
  })
}
