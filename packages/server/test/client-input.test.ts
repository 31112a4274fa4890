import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { INGEST_BODY_LIMIT } from '../src/http/ingest.js'
import { createWebhook, listDeliveries } from '../src/store/webhooks.js'
import {
  CHROME_MAC_UA,
  components,
  DIALECTS,
  dialectName,
  post,
  startServer,
  type TestServer,
} from './helpers.js'
import { NO_LIMITS } from './server-api-fixtures.js'

const PAGE = 'https://shop.example/checkout'

/** CPU time this process spends (server and client: the test runs the server in-process), in ms. */
const cpuMs = () => {
  const u = process.cpuUsage()
  return (u.user + u.system) / 1000
}

/** Strings that made backtracking expressions of the server take quadratic time, and a plain one. */
const PATTERNS: Record<string, (n: number) => string> = {
  'Version/ and digits': (n) => `Version/${'1'.repeat(n - 8)}`,
  'Version/. and dots': (n) => `Version/.${'.'.repeat(n - 10)}\n`,
  'repeated (iPhone': (n) => '(iPhone '.repeat(Math.floor(n / 8)),
  'repeated Android; Build/': (n) => `Android; ${' Build/'.repeat(Math.floor((n - 9) / 7))}`,
  'repeated direct3d': (n) => 'direct3d '.repeat(Math.floor(n / 9)),
  'repeated Version/0 and NUL': (n) => 'Version/0\u0000'.repeat(Math.floor(n / 10)),
  'plain letters': (n) => 'a'.repeat(n),
}

type Place = (s: string) => { body?: Record<string, unknown>; headers?: Record<string, string> }
const withComponents = (over: Record<string, unknown>) => ({ body: { components: components(over) } })
const HINTS = {
  brands: [{ brand: 'Google Chrome', version: '131' }],
  fullVersionList: [{ brand: 'Google Chrome', version: '131.0.6778.86' }],
  mobile: false,
  platform: 'macOS',
  platformVersion: '14.5.0',
  model: '',
  uaFullVersion: '131.0.6778.86',
}

/** Every text field of the payload a client controls, each receiving the string `s`. */
const FIELDS: Record<string, Place> = {
  'userAgent component': (s) => withComponents({ userAgent: s }),
  // Node takes 16 KB of headers at most, and only visible characters in them.
  'User-Agent header': (s) => ({ headers: { 'user-agent': s.slice(0, 12_000).replace(/[^ -~]/g, ' ') } }),
  'uaHints.platform': (s) => withComponents({ uaHints: { ...HINTS, platform: s } }),
  'uaHints.platformVersion': (s) => withComponents({ uaHints: { ...HINTS, platformVersion: s } }),
  'uaHints.model': (s) => withComponents({ uaHints: { ...HINTS, model: s } }),
  'uaHints.uaFullVersion': (s) => withComponents({ uaHints: { ...HINTS, uaFullVersion: s } }),
  'uaHints.brands[].brand': (s) =>
    withComponents({ uaHints: { ...HINTS, brands: [{ brand: s, version: '131' }] } }),
  'uaHints.fullVersionList[].version': (s) =>
    withComponents({ uaHints: { ...HINTS, fullVersionList: [{ brand: 'Google Chrome', version: s }] } }),
  url: (s) => ({ body: { url: `${PAGE}?q=${s}` } }),
  referrer: (s) => ({ body: { referrer: s } }),
  'tag (string)': (s) => ({ body: { tag: s } }),
  'tag (member)': (s) => ({ body: { tag: { note: s } } }),
  linkedId: (s) => ({ body: { linkedId: s } }),
  storedId: (s) => ({ body: { storedId: s } }),
  'platform component': (s) => withComponents({ platform: s }),
  'timezone component': (s) => withComponents({ timezone: { name: s, offset: 0 } }),
  'languages component': (s) => withComponents({ languages: [s] }),
  'webgl renderer': (s) => withComponents({ webgl: { renderer: s, unmaskedRenderer: s.slice(0, 30_000) } }),
  'canvas component': (s) => withComponents({ canvas: { text: s, geometry: 'x', stable: true } }),
  'automation.tampered': (s) => withComponents({ automation: { tampered: [s], globals: [] } }),
  'an unknown component': (s) => withComponents({ extra: s }),
  'a component error': (s) => ({
    body: { components: { ...components(), fonts: { error: s, duration: 1 } } },
  }),
}

function payload(publicKey: string, place: Place, pattern: (n: number) => string) {
  const base = (s: string) => {
    const p = place(s)
    return {
      body: { v: 1, apiKey: publicKey, url: PAGE, components: components(), ...p.body },
      headers: { 'user-agent': CHROME_MAC_UA, ...p.headers },
    }
  }
  // As long as the body limit allows: what is left once everything else is in the body.
  const room = INGEST_BODY_LIMIT - JSON.stringify(base('').body).length - 64
  const s = pattern(room)
  return base(s)
}

for (const dialect of DIALECTS) {
  describe(`client input limits (${dialectName(dialect)})`, () => {
    let s: TestServer
    before(async () => {
      s = await startServer({}, NO_LIMITS, { dialect })
    })
    after(() => s.close())

    it('answers pathological strings of the whole body limit in every text field within 100 ms of server CPU', async (t) => {
      // The first large bodies compile code paths and load enrichment data: warm those up first.
      for (let i = 0; i < 10; i++) {
        const { body, headers } = payload(
          s.publicKey,
          FIELDS['canvas component']!,
          PATTERNS['plain letters']!,
        )
        assert.equal((await post(s.url, body, headers)).status, 200)
      }
      const slow: string[] = []
      let worst = 0
      const statuses = new Map<number, number>()
      const times: number[] = []
      for (const [field, place] of Object.entries(FIELDS)) {
        for (const [name, pattern] of Object.entries(PATTERNS)) {
          const { body, headers } = payload(s.publicKey, place, pattern)
          // A pathological string costs the same every time; a collection or a busy machine does not:
          // a request over the budget is measured up to twice more, and the cheapest try counts.
          let spent = Infinity
          let r: Awaited<ReturnType<typeof post>> | undefined
          for (let attempt = 0; attempt < 3 && spent > 100; attempt++) {
            const t = cpuMs()
            r = await post(s.url, body, headers)
            spent = Math.min(spent, cpuMs() - t)
          }
          assert.ok(r)
          times.push(spent)
          worst = Math.max(worst, spent)
          assert.ok(r.status < 500, `${field} / ${name}: ${r.status} ${JSON.stringify(r.json)}`)
          statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1)
          if (spent > 100) slow.push(`${field} / ${name}: ${spent.toFixed(0)} ms`)
        }
      }
      times.sort((a, b) => a - b)
      const median = times[Math.floor(times.length / 2)]!
      t.diagnostic(
        `${times.length} requests: median ${median.toFixed(1)} ms, worst ${worst.toFixed(1)} ms of CPU`,
      )
      assert.deepEqual(slow, [], `requests over 100 ms of CPU (worst ${worst.toFixed(0)} ms)`)
      // Most of them were identified: the strings went all the way through, not stopped at the door.
      assert.ok((statuses.get(200) ?? 0) > (statuses.get(400) ?? 0), JSON.stringify([...statuses]))
    })

    it('keeps /healthz responsive while pathological identifications are in flight', async () => {
      // The user agent, with the strings that each took seconds before its expressions were linear.
      const batch = [
        'Version/ and digits',
        'Version/. and dots',
        'Version/ and digits',
        'Version/. and dots',
      ].map((name) => {
        const { body, headers } = payload(s.publicKey, FIELDS['userAgent component']!, PATTERNS[name]!)
        return post(s.url, body, headers)
      })
      // Let the bodies reach the server before asking for /healthz.
      await new Promise((r) => setTimeout(r, 50))
      const t = cpuMs()
      const started = performance.now()
      const health = await fetch(`${s.url}/healthz`)
      const spent = cpuMs() - t
      const wall = performance.now() - started
      assert.equal(health.status, 200)
      // CPU rather than wall time: a loaded machine slows both sides, but only our own work costs CPU.
      assert.ok(spent < 300, `/healthz waited behind ${spent.toFixed(0)} ms of CPU (${wall.toFixed(0)} ms)`)
      for (const r of await Promise.all(batch)) assert.ok(r.status < 500, JSON.stringify(r.json))
    })

    /** JSON text of objects and arrays nested `depth` levels (JSON.stringify overflows on deep values). */
    const nested = (depth: number) => {
      const open = Array.from({ length: depth }, (_, i) => (i % 2 ? '[' : '{"a":'))
      const close = open.map((o) => (o === '[' ? ']' : '}')).reverse()
      return `${open.join('')}1${close.join('')}`
    }
    /** The body as JSON text, its `"@nested"` strings replaced by `text`. */
    const withText = (body: unknown, text: string) => JSON.stringify(body).replaceAll('"@nested"', text)
    const send = (body: unknown, type: string) =>
      post(s.url, body, { 'content-type': type }).then((r) => ({ ...r, type }))
    const TYPES = ['text/plain;charset=UTF-8', 'application/json']

    it('refuses deep nesting in the tag and in component values with a 400, in both content types', async () => {
      for (const type of TYPES) {
        for (const depth of [20, 5000, 12_000]) {
          for (const [where, body] of [
            ['body.tag', { tag: '@nested' }],
            ['body.components.fonts.value', { components: { ...components(), fonts: { value: '@nested' } } }],
          ] as const) {
            const full = { apiKey: s.publicKey, url: PAGE, components: components(), ...body }
            const r = await send(withText(full, nested(depth)), type)
            assert.equal(r.status, 400, `${type} ${where} ${depth}: ${JSON.stringify(r.json)}`)
            assert.equal(r.json.error.code, 'RequestCannotBeParsed')
            assert.match(
              r.json.error.message,
              /^invalid body\.(tag|components\.fonts\.value)[.\w[\]…]*: nested more than 20 levels deep$/,
            )
          }
        }
        // The body is level 1, so the tag (level 2) may be 19 levels deep.
        const full = { apiKey: s.publicKey, url: PAGE, components: components(), tag: '@nested' }
        const ok = await send(withText(full, nested(19)), type)
        assert.equal(ok.status, 200, JSON.stringify(ok.json))
      }
    })

    it('refuses an array or object of more than 1000 entries with a 400', async () => {
      for (const type of TYPES) {
        const wide = [
          { tag: { list: new Array(1001).fill(0) } },
          { tag: Object.fromEntries(Array.from({ length: 1001 }, (_, i) => [`k${i}`, 0])) },
          { components: { ...components(), fonts: { value: new Array(1001).fill('') } } },
        ]
        for (const extra of wide) {
          const r = await send({ apiKey: s.publicKey, url: PAGE, components: components(), ...extra }, type)
          assert.equal(r.status, 400, JSON.stringify(r.json))
          assert.match(r.json.error.message, /more than 1000 (elements in one array|members in one object)$/)
        }
        const fine = { tag: { list: new Array(1000).fill(0) } }
        const ok = await send({ apiKey: s.publicKey, url: PAGE, components: components(), ...fine }, type)
        assert.equal(ok.status, 200, JSON.stringify(ok.json))
      }
    })

    it('refuses deep tags in v3 and v4 event updates with a 400 in their shapes', async () => {
      const made = await post(s.url, { apiKey: s.publicKey, url: PAGE, components: components() })
      const id = made.json.requestId
      const v3 = await fetch(`${s.url}/events/${id}`, {
        method: 'PUT',
        headers: { 'auth-api-key': s.secretKey, 'content-type': 'application/json' },
        body: withText({ tag: '@nested' }, nested(5000)),
      })
      assert.equal(v3.status, 400)
      assert.match(((await v3.json()) as any).error.message, /nested more than 20 levels deep/)
      const v4 = await fetch(`${s.url}/v4/events/${id}`, {
        method: 'PATCH',
        headers: { authorization: `Bearer ${s.secretKey}`, 'content-type': 'text/plain' },
        body: withText({ tags: '@nested' }, nested(5000)),
      })
      assert.equal(v4.status, 400)
      const v4body = (await v4.json()) as any
      assert.equal(v4body.error.code, 'request_cannot_be_parsed')
      assert.match(v4body.error.message, /nested more than 20 levels deep/)
    })

    it('refuses __proto__, constructor and prototype keys alike in both content types, and through v3/v4 updates', async () => {
      const app = s.sl.db.kysely
      const hook = await createWebhook(app, { appId: s.appId, url: 'http://127.0.0.1:9/', format: 'v4' })
      assert.ok(hook)
      const KEY = 'zzForbiddenKeyzz'
      const places = [
        { tag: { [KEY]: { x: 1 } } },
        { tag: { deep: [{ [KEY]: 'x' }] } },
        { components: { ...components(), fonts: { value: { [KEY]: { polluted: true } } } } },
      ]
      const before = (await listDeliveries(app, { appId: s.appId })).length
      for (const key of ['__proto__', 'constructor', 'prototype']) {
        for (const place of places) {
          for (const type of TYPES) {
            const body = JSON.stringify({
              apiKey: s.publicKey,
              url: PAGE,
              components: components(),
              ...place,
            })
            const r = await send(body.replace(`"${KEY}"`, JSON.stringify(key)), type)
            assert.equal(r.status, 400, `${key} ${type}: ${JSON.stringify(r.json)}`)
            assert.equal(r.json.error.code, 'RequestCannotBeParsed')
            assert.match(r.json.error.message, new RegExp(`: the key "${key}" is not allowed$`))
          }
        }
      }
      // Nothing of them was stored: no event to search, no webhook delivery queued.
      const v4 = (await (
        await fetch(`${s.url}/v4/events?limit=100&linked_id=proto-check`, {
          headers: { authorization: `Bearer ${s.secretKey}` },
        })
      ).json()) as any
      assert.deepEqual(v4.events, [])
      assert.equal((await listDeliveries(app, { appId: s.appId })).length, before)

      // The same body without the key goes through, is served by v1, v3 and v4, and queues a delivery.
      const clean = await post(s.url, {
        apiKey: s.publicKey,
        url: PAGE,
        components: components(),
        linkedId: 'proto-check',
        tag: { note: 'clean' },
      })
      assert.equal(clean.status, 200)
      assert.equal((await listDeliveries(app, { appId: s.appId })).length, before + 1)
      const id = clean.json.requestId
      const v1 = (await (
        await fetch(`${s.url}/v1/visits/${id}`, { headers: { auth: s.secretKey } })
      ).json()) as any
      assert.deepEqual(v1.tag, { note: 'clean' })

      // Updates through v3 and v4 refuse the keys too, and leave the tag as it was.
      for (const key of ['__proto__', 'constructor', 'prototype']) {
        const bad = JSON.stringify({ tag: { [KEY]: { a: 1 } } }).replace(`"${KEY}"`, JSON.stringify(key))
        const v3 = await fetch(`${s.url}/events/${id}`, {
          method: 'PUT',
          headers: { 'auth-api-key': s.secretKey, 'content-type': 'text/plain;charset=UTF-8' },
          body: bad,
        })
        assert.equal(v3.status, 400)
        assert.match(((await v3.json()) as any).error.message, new RegExp(`the key "${key}" is not allowed`))
        const v4u = await fetch(`${s.url}/v4/events/${id}`, {
          method: 'PATCH',
          headers: { authorization: `Bearer ${s.secretKey}`, 'content-type': 'application/json' },
          body: bad.replace('"tag"', '"tags"'),
        })
        assert.equal(v4u.status, 400)
        assert.equal(((await v4u.json()) as any).error.code, 'request_cannot_be_parsed')
      }
      const v3e = (await (
        await fetch(`${s.url}/events/${id}`, { headers: { 'auth-api-key': s.secretKey } })
      ).json()) as any
      assert.deepEqual(v3e.products.identification.data.tag, { note: 'clean' })
      const v4e = (await (
        await fetch(`${s.url}/v4/events/${id}`, { headers: { authorization: `Bearer ${s.secretKey}` } })
      ).json()) as any
      assert.deepEqual(v4e.tags, { note: 'clean' })
    })
  })
}
