import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, before, describe, it } from 'node:test'
import {
  type Browser,
  type BrowserContext,
  type BrowserContextOptions,
  chromium,
  type Page,
} from 'playwright-core'
import { CHROMIUM, CHROMIUM_ARGS, launch, servePage } from './browser.js'
import { startServer, type TestServer } from './helpers.js'

// The real agent (/agent.js from the server) against the real server (SQLite), in Debian Chromium.
// Every context gets the same screen (Playwright would otherwise derive it from the viewport).
const BASE: BrowserContextOptions = {
  viewport: { width: 1280, height: 720 },
  screen: { width: 1920, height: 1080 },
  deviceScaleFactor: 1,
  timezoneId: 'Europe/Berlin',
  locale: 'de-DE',
}

type Outcome = { visitorId: string; visitorFound: boolean; confidence: { score: number } } | { error: string }

describe('agent end to end: real /agent.js, real server, Chromium', () => {
  let s: TestServer
  let site: Awaited<ReturnType<typeof servePage>>
  let persistent: Awaited<ReturnType<typeof launch>>
  let browser: Browser
  let first: string
  const errors: Error[] = []

  before(async () => {
    s = await startServer({ trustProxy: true })
    site = await servePage(`<!doctype html><html><head><title>Shop</title>
<script src="${s.url}/agent.js"></script></head><body><h1>Checkout</h1>
<script>
window.identify = (load, get) =>
  Sightline.load({ apiKey: ${JSON.stringify(s.publicKey)}, endpoint: ${JSON.stringify(s.url)}, ...load })
    .then((agent) => agent.get(get))
    .catch((e) => ({ error: e.message }))
</script></body></html>`)
    // One persistent profile (storage survives reloads) and one browser for fresh, storage-less contexts:
    // same binary, same flags.
    ;[persistent, browser] = await Promise.all([
      launch(BASE),
      chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS }),
    ])
  })
  after(async () => {
    await persistent?.close()
    await browser?.close()
    await site?.close()
    await s?.close()
  })

  const watch = (page: Page) => page.on('pageerror', (e) => errors.push(e))

  async function open(context: BrowserContext): Promise<Page> {
    const page = await context.newPage()
    watch(page)
    await page.goto(site.url)
    return page
  }

  const identify = (page: Page, load: object = {}, get: object = {}): Promise<Outcome> =>
    page.evaluate(([l, g]) => (window as any).identify(l, g), [load, get] as const)

  const visitorOf = async (page: Page) => {
    const r = await identify(page)
    assert.ok('visitorId' in r, `identified: ${JSON.stringify(r)}`)
    return r
  }

  /** A fresh context of the second browser: no cookies, no storage, nothing shared. */
  async function fresh(options: BrowserContextOptions = {}) {
    const context = await browser.newContext({ ...BASE, ...options })
    try {
      return await visitorOf(await open(context))
    } finally {
      await context.close()
    }
  }

  const fingerprints = async (visitorId: string): Promise<string[]> => {
    const res = await fetch(`${s.url}/v1/visitors/${visitorId}`, { headers: { Auth: s.secretKey } })
    assert.equal(res.status, 200)
    return ((await res.json()) as { fingerprint: string }[]).map((v) => v.fingerprint)
  }

  it('identifies a new visitor', async () => {
    const page = await open(persistent.context)
    const r = await visitorOf(page)
    assert.match(r.visitorId, /^[A-Za-z0-9]{20}$/)
    assert.equal(r.visitorFound, false)
    first = r.visitorId
    await page.close()
  })

  it('gives the same visitorId after a reload', async () => {
    const page = await open(persistent.context)
    await page.reload()
    const r = await visitorOf(page)
    assert.equal(r.visitorId, first)
    assert.equal(r.visitorFound, true)
    await page.close()
  })

  it('gives the same visitorId after cookies are cleared (localStorage and IndexedDB restore them)', async () => {
    await persistent.context.clearCookies()
    const page = await open(persistent.context)
    assert.equal(await page.evaluate(() => document.cookie.includes('_slid=')), false)
    const r = await visitorOf(page)
    assert.equal(r.visitorId, first)
    assert.equal(r.visitorFound, true)
    assert.equal(await page.evaluate(() => document.cookie.includes('_slid=')), true, 'cookie restored')
    await page.close()
  })

  it('keeps visitorId and fingerprint after a viewport change', async () => {
    const page = await open(persistent.context)
    // A window resize: page.setViewportSize would also move the emulated screen to the viewport's size,
    // which no real resize does, so override the metrics directly and keep the screen.
    const cdp = await persistent.context.newCDPSession(page)
    await cdp.send('Emulation.setDeviceMetricsOverride', {
      width: 800,
      height: 600,
      deviceScaleFactor: 1,
      mobile: false,
      screenWidth: 1920,
      screenHeight: 1080,
    })
    await page.reload()
    assert.deepEqual(await page.evaluate(() => [innerWidth, screen.width]), [800, 1920])
    const r = await visitorOf(page)
    assert.equal(r.visitorId, first)
    await page.close()
    assert.equal(new Set(await fingerprints(first)).size, 1, 'one fingerprint for every visit so far')
  })

  it('recovers the visitorId from the fingerprint in a fresh context with no storage', async () => {
    const r = await fresh()
    assert.equal(r.visitorId, first)
    assert.equal(r.visitorFound, true)
  })

  it('recovers it in a fresh context with another viewport too', async () => {
    assert.equal((await fresh({ viewport: { width: 1000, height: 700 } })).visitorId, first)
  })

  it('keeps the visitorId after a browser update, with all storage gone', async () => {
    const major = Number((await browser.version()).split('.')[0])
    const context = await browser.newContext({
      ...BASE,
      userAgent: `Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/${major + 1}.0.0.0 Safari/537.36`,
    })
    try {
      const r = await visitorOf(await open(context))
      assert.equal(r.visitorId, first)
      assert.equal(r.visitorFound, true)
    } finally {
      await context.close()
    }
  })

  it('keeps the visitorId on a new IP address', async () => {
    const page = await persistent.context.newPage()
    watch(page)
    await page.route(`${s.url}/v1/identify`, (route) =>
      route.continue({ headers: { ...route.request().headers(), 'x-forwarded-for': '8.8.4.4' } }),
    )
    await page.goto(site.url)
    const r = await visitorOf(page)
    assert.equal(r.visitorId, first)
    const visits = (await (
      await fetch(`${s.url}/v1/visitors/${first}`, { headers: { Auth: s.secretKey } })
    ).json()) as { ip: string }[]
    assert.equal(visits[0]!.ip, '8.8.4.4')
    await page.close()
  })

  for (const [what, options] of [
    ['screen size', { screen: { width: 1366, height: 768 } }],
    ['device scale factor', { deviceScaleFactor: 2 }],
    ['time zone', { timezoneId: 'Asia/Tokyo' }],
    ['locale', { locale: 'ja-JP' }],
  ] as const) {
    it(`gives another visitorId with another ${what}`, async () => {
      const r = await fresh(options)
      assert.notEqual(r.visitorId, first)
      assert.equal(r.visitorFound, false)
    })
  }

  describe('get() errors', () => {
    let page: Page
    before(async () => {
      page = await open(await browser.newContext(BASE))
    })
    after(() => page.context().close())

    it('wrong key: "API key not found"', async () => {
      assert.deepEqual(await identify(page, { apiKey: 'pk_doesnotexist0000000000' }), {
        error: 'API key not found',
      })
    })

    it('unreachable endpoint: "Network connection error"', async () => {
      const dead = createServer()
      await new Promise<void>((r) => dead.listen(0, '127.0.0.1', r))
      const endpoint = `http://127.0.0.1:${(dead.address() as AddressInfo).port}`
      await new Promise<void>((r) => dead.close(() => r()))
      assert.deepEqual(await identify(page, { endpoint }), { error: 'Network connection error' })
    })

    it('no answer in time: "Client timeout"', async () => {
      await page.route(`${s.url}/v1/identify`, () => {}) // never answered
      const start = Date.now()
      assert.deepEqual(await identify(page, {}, { timeout: 300 }), { error: 'Client timeout' })
      assert.ok(Date.now() - start < 2000, `gave up after ${Date.now() - start} ms`)
      await page.unroute(`${s.url}/v1/identify`)
    })
  })

  it('raised no page errors', () => {
    assert.deepEqual(errors, [])
  })
})
