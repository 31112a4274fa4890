import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { after, before, describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { findAppByPublicKey, setAllowedOrigins } from '../src/store/apps.js'
import { initDatabase } from '../src/store/init.js'
import { getSetting } from '../src/store/settings.js'
import { launch, servePage } from './browser.js'
import {
  components,
  DIALECTS,
  dialectName,
  openTestDb,
  post,
  startServer,
  type TestServer,
} from './helpers.js'

const CLI = fileURLToPath(new URL('../src/cli.ts', import.meta.url))
const run = promisify(execFile)
const PAGE = 'https://shop.example/'
const FOREIGN = 'https://evil.example'

/** The running server caches each app for up to 5 s: wait for a change to reach it. */
async function eventually(status: () => Promise<number>, want: number) {
  const until = Date.now() + 8000
  let got = await status()
  while (got !== want && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 250))
    got = await status()
  }
  return got
}

describe('the Demo app accepts only its own page', () => {
  let s: TestServer
  before(async () => {
    s = await startServer()
  })
  after(() => s?.close())

  const identify = (headers: Record<string, string>, url = s.url) =>
    post(url, { apiKey: s.demo.publicKey, url: PAGE, components: components() }, headers)

  it('refuses a foreign origin or none, in the identify error shape, and takes its own', async () => {
    const foreign = await identify({ origin: FOREIGN })
    assert.equal(foreign.status, 403)
    assert.equal(foreign.json.error.code, 'OriginNotAllowed')
    assert.match(foreign.json.error.message, /evil\.example is not allowed/)
    assert.equal(foreign.headers.get('access-control-allow-origin'), FOREIGN, 'the page can read why')
    assert.equal((await identify({})).status, 403, 'no Origin at all')
    // Another port or scheme on the same host is another origin.
    const u = new URL(s.url)
    assert.equal((await identify({ origin: `http://${u.hostname}:1` })).status, 403)
    assert.equal((await identify({ origin: `https://${u.host}` })).status, 403)
    // Without TRUST_PROXY the forwarded host is not the server's: a spoofed one changes nothing.
    const spoofed = await identify({
      origin: FOREIGN,
      'x-forwarded-host': 'evil.example',
      'x-forwarded-proto': 'https',
    })
    assert.equal(spoofed.status, 403)

    const own = await identify({ origin: s.url })
    assert.equal(own.status, 200, JSON.stringify(own.json))
    assert.match(own.json.visitorId, /^[A-Za-z0-9]{20}$/)
    // Other apps are untouched: the tests' own app takes any origin.
    const other = await post(
      s.url,
      { apiKey: s.publicKey, url: PAGE, components: components() },
      { origin: FOREIGN },
    )
    assert.equal(other.status, 200)
  })

  it('works in Chromium on the demo page, and not from a page on another origin', async () => {
    const chromium = await launch()
    const site =
      await servePage(`<!doctype html><html><head><script src="${s.url}/agent.js"></script></head><body>
<script>
window.identify = () => Sightline.load({ apiKey: ${JSON.stringify(s.demo.publicKey)}, endpoint: ${JSON.stringify(s.url)} })
  .then((agent) => agent.get()).then((r) => ({ ok: r.visitorId }), (e) => ({ error: String(e && e.message || e) }))
</script></body></html>`)
    try {
      const page = await chromium.context.newPage()
      await page.goto(`${s.url}/`)
      await page.waitForFunction(() => {
        const first = document.querySelector('#history tr td')
        return first !== null && first.textContent !== '…'
      })
      const rows = await page.$$eval('#history tr', (trs) => trs.map((tr: Element) => tr.textContent ?? ''))
      assert.equal(rows.length, 1, rows.join('\n'))
      assert.match(rows[0]!, /Chrome .* on Linux/)

      await page.goto(site.url)
      const result = await page.evaluate(() => (window as any).identify())
      assert.equal(result.ok, undefined, JSON.stringify(result))
      assert.equal(result.error, 'Not available for this origin')
      await page.close()
    } finally {
      await site.close()
      await chromium.close()
    }
  })

  it('behind a trusted proxy, its own origin is the public one the proxy reports', async () => {
    const proxied = await startServer({ trustProxy: true })
    try {
      const at = (origin: string, host: string) =>
        post(
          proxied.url,
          { apiKey: proxied.demo.publicKey, url: PAGE, components: components() },
          { origin, 'x-forwarded-host': host, 'x-forwarded-proto': 'https' },
        )
      assert.equal((await at('https://sightline.example', 'sightline.example')).status, 200)
      assert.equal((await at(FOREIGN, 'sightline.example')).status, 403)
      assert.equal((await at('http://sightline.example', 'sightline.example')).status, 403)
    } finally {
      await proxied.close()
    }
  })

  it('an explicit list from apps set-origins wins: --any opens it, a list limits it', async () => {
    const cli = async (...args: string[]) =>
      (await run(process.execPath, ['--import', 'tsx', CLI, ...args, '--data-dir', s.dataDir])).stdout
    assert.match(await cli('apps', 'list'), new RegExp(`${s.demo.id} +Demo .*origins: this server only`))
    await cli('apps', 'set-origins', s.demo.id, '--any')
    assert.equal(await eventually(async () => (await identify({ origin: FOREIGN })).status, 200), 200)
    await cli('apps', 'set-origins', s.demo.id, '--origins', 'https://shop.example')
    assert.equal(await eventually(async () => (await identify({ origin: s.url })).status, 403), 403)
    assert.equal((await identify({ origin: 'https://shop.example' })).status, 200)
    assert.equal((await identify({ origin: FOREIGN })).status, 403)
  })
})

for (const dialect of DIALECTS) {
  it(`a Demo app made before the limit is limited once, and an owner's --any then stays (${dialectName(dialect)})`, async () => {
    const db = await openTestDb(dialect)
    try {
      const { createdDemo } = await initDatabase(db, { demo: true })
      const key = createdDemo!.publicKey
      assert.deepEqual((await findAppByPublicKey(db.kysely, key))!.allowedOrigins, [])
      // What an older start left behind: the Demo app open to all, and no marker.
      await setAllowedOrigins(db.kysely, createdDemo!.id, null)
      await db.kysely.deleteFrom('settings').where('key', '=', 'demo_same_origin').execute()
      await initDatabase(db, { demo: true })
      assert.deepEqual((await findAppByPublicKey(db.kysely, key))!.allowedOrigins, [])
      assert.equal(await getSetting(db.kysely, 'demo_same_origin'), '1')
      await setAllowedOrigins(db.kysely, createdDemo!.id, null)
      await initDatabase(db, { demo: true })
      assert.equal((await findAppByPublicKey(db.kysely, key))!.allowedOrigins, null)
    } finally {
      await db.close()
    }
  })
}
