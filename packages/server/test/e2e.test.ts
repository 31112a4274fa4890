import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { Page } from 'playwright-core'
import { launch, servePage } from './browser.js'
import { startServer, type TestServer } from './helpers.js'

describe('end to end in Chromium: owner page on another origin → ingest → /v1/visitors/:id', () => {
  let s: TestServer
  let site: Awaited<ReturnType<typeof servePage>>
  let browser: Awaited<ReturnType<typeof launch>>

  before(async () => {
    s = await startServer({ trustProxy: true })
    site = await servePage(`<!doctype html><html><head><title>Shop</title>
<script src="${s.url}/agent.js"></script></head><body><h1>Checkout</h1>
<script>
window.identify = (tag) => Sightline.load({ apiKey: ${JSON.stringify(s.publicKey)}, endpoint: ${JSON.stringify(s.url)} })
  .then((agent) => agent.get({ tag, linkedId: 'user-17' }))
</script></body></html>`)
    browser = await launch()
  })
  after(async () => {
    await browser?.close()
    await site?.close()
    await s?.close()
  })

  async function openPage(): Promise<Page> {
    const page = await browser.context.newPage()
    const errors: Error[] = []
    page.on('pageerror', (e) => errors.push(e))
    // The browser gets a public address the way a reverse proxy would report it.
    await page.route(`${s.url}/v1/identify`, (route) =>
      route.continue({ headers: { ...route.request().headers(), 'x-forwarded-for': '8.8.8.8' } }),
    )
    await page.goto(site.url)
    assert.deepEqual(errors, [])
    return page
  }

  it('identifies, keeps the visitor across a reload, and serves every spec field', async () => {
    const page = await openPage()
    const first = await page.evaluate(() => (window as any).identify(2718281828))
    assert.match(first.requestId, /^\d{13}\.[A-Za-z0-9]{6}$/)
    assert.match(first.visitorId, /^[A-Za-z0-9]{20}$/)
    assert.equal(first.visitorFound, false)
    assert.equal(first.storedId, undefined, 'the agent keeps its stored identifier to itself')

    await page.reload()
    const second = await page.evaluate(() => (window as any).identify({ orderId: 42 }))
    assert.equal(second.visitorId, first.visitorId)
    assert.equal(second.visitorFound, true)
    const ua = await page.evaluate(() => navigator.userAgent)
    const major = /Chrome\/(\d+)/.exec(ua)?.[1]
    await page.close()

    const res = await fetch(`${s.url}/v1/visitors/${first.visitorId}`, { headers: { Auth: s.secretKey } })
    assert.equal(res.status, 200)
    assert.match(res.headers.get('content-type') ?? '', /application\/json/)
    const visits = (await res.json()) as any[]
    assert.equal(visits.length, 2)
    const [newest, oldest] = visits
    assert.deepEqual(newest.tag, { orderId: 42 })
    assert.equal(oldest.tag, 2718281828)
    for (const v of visits) {
      assert.equal(v.visitorId, first.visitorId)
      assert.match(v.fingerprint, /^[0-9a-f]{32}$/)
      assert.match(v.timestamp, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/)
      assert.ok(Math.abs(Date.parse(v.timestamp) - Date.now()) < 120_000)
      assert.equal(v.url, site.url)
      assert.equal(v.ip, '8.8.8.8')
      const loc = v.ipLocation
      assert.equal(loc.country.isoCode, 'US')
      assert.equal(loc.country.name, 'United States')
      assert.equal(loc.continent.code, 'NA')
      assert.equal(loc.continent.name, 'North America')
      assert.equal(typeof loc.latitude, 'number')
      assert.equal(typeof loc.longitude, 'number')
      assert.ok(loc.accuracyRadius === null || typeof loc.accuracyRadius === 'number')
      assert.ok(loc.city.name === null || typeof loc.city.name === 'string')
      assert.ok(Array.isArray(loc.subdivisions))
      assert.ok(loc.timeZone === null || typeof loc.timeZone === 'string')
      assert.match(loc.organization.name ?? '', /google/i)
      const d = v.visitorDetails
      assert.equal(d.browserName, 'Chrome')
      assert.equal(d.browserMajorVersion, major)
      assert.ok(d.browserFullVersion.startsWith(`${major}.`))
      assert.equal(d.browserPlatformName, 'Linux')
      assert.equal(d.browserWebkitFullVersion, '537.36')
      // HeadlessChrome in the UA is the browser declaring automation.
      assert.equal(d.browserSaysItsBot, true)
      assert.equal(d.browserHeadless, true, 'headless Chromium says so in its UA')
      assert.ok(d.botProbability >= 0.5 && d.botProbability <= 1)
    }
    // Both visits share the fingerprint: the reload changed nothing stable.
    assert.equal(newest.fingerprint, oldest.fingerprint)
  })
})
