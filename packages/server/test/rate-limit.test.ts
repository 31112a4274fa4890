import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { after, before, describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import * as v4sdk from '@fingerprint/node-sdk'
import * as v3sdk from '@fingerprintjs/fingerprintjs-pro-server-api'
import { ConfigError, loadConfig } from '../src/config.js'
import { TokenBuckets } from '../src/http/rate-limit.js'
import { createApp } from '../src/store/apps.js'
import { launch, servePage } from './browser.js'
import { components, DIALECTS, dialectName, post, startServer, type TestServer } from './helpers.js'

describe('rate limits: token buckets', () => {
  const clock = () => {
    let t = 0
    return {
      now: () => t,
      advance: (ms: number) => {
        t += ms
      },
    }
  }

  it('lets a burst through, then refills at the rate, with the wait in whole seconds', () => {
    const c = clock()
    const b = new TokenBuckets(5, 5, 100, c.now)
    for (let i = 0; i < 5; i++) assert.equal(b.take('k'), 0, `request ${i + 1} of the burst`)
    assert.equal(b.take('k'), 1)
    c.advance(200) // one token back
    assert.equal(b.take('k'), 0)
    assert.equal(b.take('k'), 1)
    c.advance(10_000)
    for (let i = 0; i < 5; i++) assert.equal(b.take('k'), 0, 'refilled up to the burst, not beyond')
    assert.equal(b.take('k'), 1)
  })

  it('keys are independent, slow rates wait longer, and memory stays bounded', () => {
    const c = clock()
    const slow = new TokenBuckets(0.25, undefined, 3, c.now)
    assert.equal(slow.burst, 1)
    assert.equal(slow.take('a'), 0)
    assert.equal(slow.take('a'), 4)
    assert.equal(slow.take('b'), 0, 'another key has its own budget')
    c.advance(1000)
    assert.equal(slow.take('a'), 3)
    slow.take('c')
    slow.take('d')
    assert.equal(slow.size, 3, 'the least recently used bucket was forgotten')
    c.advance(4000)
    assert.equal(slow.take('c'), 0)
    slow.sweep()
    assert.equal(slow.size, 1, 'refilled buckets are dropped; the one that was just used remains')
    c.advance(4000)
    slow.sweep()
    assert.equal(slow.size, 0)
  })
})

describe('rate limits: settings', () => {
  it('reads the environment, lets flags win, and defaults to generous limits', () => {
    assert.deepEqual(loadConfig({}).rateLimits, { identify: 1000, api: 50, identifyPerAddress: 100 })
    const env = { SIGHTLINE_RATE_LIMIT_IDENTIFY: '200', SIGHTLINE_RATE_LIMIT_API: '0' }
    assert.deepEqual(loadConfig(env).rateLimits, { identify: 200, api: 0, identifyPerAddress: 100 })
    const flags = {
      'rate-limit-identify': '0.5',
      'rate-limit-api': '7',
      'rate-limit-identify-per-address': '3',
    }
    assert.deepEqual(
      loadConfig({ ...env, SIGHTLINE_RATE_LIMIT_IDENTIFY_PER_ADDRESS: '9' }, flags).rateLimits,
      {
        identify: 0.5,
        api: 7,
        identifyPerAddress: 3,
      },
    )
    assert.throws(() => loadConfig({ SIGHTLINE_RATE_LIMIT_API: '-1' }), ConfigError)
    assert.throws(
      () => loadConfig({ SIGHTLINE_RATE_LIMIT_IDENTIFY: 'lots' }),
      /SIGHTLINE_RATE_LIMIT_IDENTIFY/,
    )
  })

  it('sightline serve takes --rate-limit-api and --rate-limit-identify', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'sightline-rl-'))
    const cli = fileURLToPath(new URL('../src/cli.ts', import.meta.url))
    const args = ['--import', 'tsx', cli, 'serve', '--port', '0', '--host', '127.0.0.1', '--data-dir', dir]
    const child = spawn(
      process.execPath,
      [...args, '--rate-limit-api', '0.1', '--rate-limit-identify', '0'],
      {
        env: { ...process.env, LOG_LEVEL: 'warn', SIGHTLINE_RATE_LIMIT_API: '1000' },
      },
    )
    try {
      let out = ''
      const url = await new Promise<string>((resolve, reject) => {
        child.stdout.on('data', (c) => {
          out += c
          const m = /serving at (http:\/\/[^/\s]+)\//.exec(out)
          if (m?.[1]) resolve(m[1])
        })
        child.on('exit', (code) => reject(new Error(`serve exited with ${code}: ${out}`)))
      })
      const publicKey = /public key: (pk_\w+)/.exec(out)![1]!
      const secretKey = readFileSync(path.join(dir, 'demo-secret-key'), 'utf8').trim()
      const read = () => fetch(`${url}/v1/visitors/nobody`, { headers: { auth: secretKey } })
      assert.equal((await read()).status, 404)
      const limited = await read()
      assert.equal(limited.status, 429, 'the flag (0.1/s) wins over the environment (1000/s)')
      assert.ok(Number(limited.headers.get('retry-after')) >= 1)
      for (let i = 0; i < 5; i++) {
        const r = await post(
          url,
          { apiKey: publicKey, url: 'https://shop.example/', components: components() },
          { origin: url },
        )
        assert.equal(r.status, 200, '--rate-limit-identify 0: no limit')
      }
    } finally {
      child.kill('SIGTERM')
      await new Promise((r) => child.once('exit', r))
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

const toUs = (url: string) => (input: string | URL | Request, init?: RequestInit) => {
  const u = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url)
  return fetch(new URL(u.pathname + u.search, url), init)
}

/** Retry-After is whole seconds, at least 1, and no more than one token takes to come back. */
function assertRetryAfter(value: string | null, rate: number) {
  const s = Number(value)
  assert.ok(Number.isInteger(s) && s >= 1 && s <= Math.ceil(1 / rate), `retry-after ${value}`)
}

// A request after the first is over the limit however long the machine stalls between them: one token per
// hour, burst 1. (Refill itself is tested above on a clock the test moves.)
const RATE = 1 / 3600

for (const dialect of DIALECTS) {
  describe(`rate limits on every route (${dialectName(dialect)})`, () => {
    let s: TestServer
    before(async () => {
      s = await startServer(
        { rateLimits: { identify: RATE, api: RATE, identifyPerAddress: 0 } },
        {},
        { dialect },
      )
    })
    after(async () => s?.close())

    /** A fresh app: its keys have full budgets. */
    const fresh = (name: string) => createApp(s.sl.db.kysely, { name })
    const identify = (apiKey: string) =>
      post(
        s.url,
        { apiKey, url: 'https://shop.example/', components: components() },
        { origin: 'https://shop.example' },
      )

    it('ingest: 429 {error:{code}} with Retry-After and CORS; another public key is not limited', async () => {
      const a = await fresh('ingest A')
      const b = await fresh('ingest B')
      const first = await identify(a.publicKey)
      assert.equal(first.status, 200, JSON.stringify(first.json))
      const limited = await identify(a.publicKey)
      assert.equal(limited.status, 429)
      assert.equal(limited.json.error.code, 'TooManyRequests')
      assert.match(limited.json.error.message, /rate limit/)
      assertRetryAfter(limited.headers.get('retry-after'), RATE)
      assert.equal(limited.headers.get('access-control-allow-origin'), 'https://shop.example')
      assert.equal((await identify(b.publicKey)).status, 200, 'B has its own budget')
      // A public key's use does not spend its app's secret-key budget.
      const read = await fetch(`${s.url}/v1/visitors/nobody`, { headers: { auth: a.secretKey } })
      assert.equal(read.status, 404)
    })

    it('unknown keys are limited too, before the lookup', async () => {
      assert.equal((await identify('pk_unknown')).status, 403)
      assert.equal((await identify('pk_unknown')).status, 429)
    })

    it('/v1/visitors/:id and /v1/visits/:id: 429 {message} with Retry-After, one budget per secret key', async () => {
      const a = await fresh('v1 A')
      const b = await fresh('v1 B')
      const get = (path: string, key: string) => fetch(`${s.url}${path}`, { headers: { auth: key } })
      assert.equal((await get('/v1/visitors/nobody', a.secretKey)).status, 404)
      const limited = await get('/v1/visits/1700000000000.abcdef', a.secretKey)
      assert.equal(limited.status, 429)
      const body = await limited.json()
      assert.deepEqual(Object.keys(body), ['message'])
      assert.match(body.message, /rate limit/)
      assertRetryAfter(limited.headers.get('retry-after'), RATE)
      assert.equal((await get('/v1/visitors/nobody', b.secretKey)).status, 404, 'B has its own budget')
    })

    it('v3: getVisits and getEvent throw TooManyRequestsError with retryAfter; flat and {error:{code}} shapes', async () => {
      const a = await fresh('v3 A')
      const client = (apiKey: string) =>
        new v3sdk.FingerprintJsServerApiClient({ apiKey, region: v3sdk.Region.Global, fetch: toUs(s.url) })
      const visitor = await identify(a.publicKey)
      assert.equal(visitor.status, 200)
      const api = client(a.secretKey)
      const visits = await api.getVisits(visitor.json.visitorId)
      assert.equal(visits.visitorId, visitor.json.visitorId)
      const err = await api.getVisits(visitor.json.visitorId).then(
        () => assert.fail('expected 429'),
        (e: unknown) => e,
      )
      assert.ok(err instanceof v3sdk.TooManyRequestsError, String(err))
      assert.equal(err.statusCode, 429)
      assert.ok(err.retryAfter >= 1 && err.retryAfter <= 1 / RATE, `retryAfter ${err.retryAfter}`)
      // GET /visitors/:id has the flat error form; the events routes the structured one.
      const flat = await fetch(`${s.url}/visitors/${visitor.json.visitorId}`, {
        headers: { 'auth-api-key': a.secretKey },
      })
      assert.equal(flat.status, 429)
      assert.equal(typeof (await flat.json()).error, 'string')
      const ev = await api.getEvent(visitor.json.requestId).catch((e: unknown) => e)
      assert.ok(ev instanceof v3sdk.TooManyRequestsError, String(ev))
      assert.equal(ev.errorCode, 'TooManyRequests')
      assert.ok(ev.retryAfter >= 1)
      // The key in the query string counts against the same budget.
      const q = await fetch(`${s.url}/events/${visitor.json.requestId}?api_key=${a.secretKey}`)
      assert.equal(q.status, 429)
      assert.deepEqual(Object.keys((await q.json()).error).sort(), ['code', 'message'])

      const b = await fresh('v3 B')
      const other = await client(b.secretKey)
        .getEvent(visitor.json.requestId)
        .catch((e: unknown) => e)
      assert.ok(other instanceof v3sdk.RequestError && other.statusCode === 404, `B is not limited: ${other}`)
    })

    it('v4: getEvent throws TooManyRequestsError (too_many_requests) with Retry-After', async () => {
      const a = await fresh('v4 A')
      const visitor = await identify(a.publicKey)
      const client = (apiKey: string) =>
        new v4sdk.FingerprintServerApiClient({ apiKey, region: v4sdk.Region.Global, fetch: toUs(s.url) })
      const event = await client(a.secretKey).getEvent(visitor.json.requestId)
      assert.equal(event.event_id, visitor.json.requestId)
      const err = await client(a.secretKey)
        .getEvent(visitor.json.requestId)
        .catch((e: unknown) => e)
      assert.ok(err instanceof v4sdk.TooManyRequestsError, String(err))
      assert.equal(err.statusCode, 429)
      assert.equal(err.errorCode, 'too_many_requests')
      assertRetryAfter(err.response?.headers.get('retry-after') ?? null, RATE)

      const b = await fresh('v4 B')
      const other = await client(b.secretKey)
        .getEvent(visitor.json.requestId)
        .catch((e: unknown) => e)
      assert.ok(other instanceof v4sdk.RequestError && other.statusCode === 404, `B is not limited: ${other}`)
    })

    it('the real agent in Chromium gets "Too many requests, rate limit exceeded" from get()', async () => {
      const app = await fresh('browser')
      const site = await servePage(`<!doctype html><html><head>
<script src="${s.url}/agent.js"></script></head><body>
<script>
window.identify = () =>
  Sightline.load({ apiKey: ${JSON.stringify(app.publicKey)}, endpoint: ${JSON.stringify(s.url)} })
    .then((agent) => agent.get())
    .catch((e) => ({ error: e.message }))
</script></body></html>`)
      const browser = await launch()
      try {
        const page = await browser.context.newPage()
        await page.goto(site.url)
        const run = () => page.evaluate(() => (window as any).identify())
        const first = await run()
        assert.match(first.visitorId ?? '', /^[A-Za-z0-9]{20}$/, JSON.stringify(first))
        assert.deepEqual(await run(), { error: 'Too many requests, rate limit exceeded' })
      } finally {
        await browser.close()
        await site.close()
      }
    })
  })
}

describe('rate limits off', () => {
  it('0 turns the limits off', async () => {
    const s = await startServer({ rateLimits: { identify: 0, api: 0, identifyPerAddress: 0 } })
    try {
      for (let i = 0; i < 30; i++) {
        const r = await post(s.url, {
          apiKey: s.publicKey,
          url: 'https://shop.example/',
          components: components(),
        })
        assert.equal(r.status, 200)
        const read = await fetch(`${s.url}/v1/visitors/nobody`, { headers: { auth: s.secretKey } })
        assert.equal(read.status, 404)
      }
    } finally {
      await s.close()
    }
  })
})

describe('rate limits per client address', () => {
  it('one address cannot spend a public key: 429 in the ingest shape whatever key it sends; other addresses go on', async () => {
    const s = await startServer({
      trustProxy: true,
      rateLimits: { identify: 1000, api: 0, identifyPerAddress: RATE },
    })
    try {
      const other = await createApp(s.sl.db.kysely, { name: 'Other' })
      const from = (ip: string, apiKey: string) =>
        post(
          s.url,
          { apiKey, url: 'https://shop.example/', components: components() },
          { 'x-forwarded-for': ip, origin: 'https://shop.example' },
        )
      assert.equal((await from('203.0.113.5', s.publicKey)).status, 200)
      for (const key of [s.publicKey, other.publicKey, 'pk_unknown']) {
        const limited = await from('203.0.113.5', key)
        assert.equal(limited.status, 429, `${key}: ${JSON.stringify(limited.json)}`)
        assert.equal(limited.json.error.code, 'TooManyRequests')
        assert.match(limited.json.error.message, /this client address may make [\d.]+ requests per second/)
        assertRetryAfter(limited.headers.get('retry-after'), RATE)
        assert.equal(limited.headers.get('access-control-allow-origin'), 'https://shop.example')
      }
      assert.equal(
        (await from('198.51.100.7', s.publicKey)).status,
        200,
        'another address has its own budget',
      )
      // The Server APIs are not counted against the address.
      const read = await fetch(`${s.url}/v1/visitors/nobody`, {
        headers: { auth: s.secretKey, 'x-forwarded-for': '203.0.113.5' },
      })
      assert.equal(read.status, 404)
    } finally {
      await s.close()
    }
  })

  it('holds with --workers: each process counts alone, so at most one burst per worker gets through', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'sightline-rl-'))
    const cli = fileURLToPath(new URL('../src/cli.ts', import.meta.url))
    const args = ['--import', 'tsx', cli, 'serve', '--port', '0', '--host', '127.0.0.1', '--data-dir', dir]
    const child = spawn(
      process.execPath,
      [...args, '--workers', '2', '--trust-proxy', 'true', '--rate-limit-identify-per-address', String(RATE)],
      { env: { ...process.env, LOG_LEVEL: 'warn' } },
    )
    try {
      let out = ''
      const url = await new Promise<string>((resolve, reject) => {
        child.stdout.on('data', (c) => {
          out += c
          const m = /serving at (http:\/\/[^/\s]+)\/ with 2 workers/.exec(out)
          if (m?.[1]) resolve(m[1])
        })
        child.on('exit', (code) => reject(new Error(`serve exited with ${code}: ${out}`)))
      })
      const publicKey = /public key: (pk_\w+)/.exec(out)![1]!
      const statuses: number[] = []
      for (let i = 0; i < 8; i++) {
        const r = await post(
          url,
          { apiKey: publicKey, url: 'https://shop.example/', components: components() },
          // A new connection each time, so both workers see the address.
          { 'x-forwarded-for': '203.0.113.9', connection: 'close', origin: url },
        )
        statuses.push(r.status)
      }
      assert.ok(
        statuses.filter((c) => c === 200).length <= 2,
        `at most one request per worker: ${statuses.join(' ')}`,
      )
      assert.equal(statuses.filter((c) => c !== 200 && c !== 429).length, 0, statuses.join(' '))
    } finally {
      child.kill('SIGTERM')
      await new Promise((r) => child.once('exit', r))
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
