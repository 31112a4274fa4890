// npm run screenshots: the dashboard's pages, drawn by a real server over synthetic visits plus real
// agent visits from Chromium, saved to docs/screenshots/ (the README shows them).
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:http'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { chromium, type Page } from 'playwright-core'
import { loadConfig } from '../packages/server/dist/config.js'
import { createSightline } from '../packages/server/dist/server.js'
import { summarizeRecentDays } from '../packages/server/dist/store/summaries.js'
import { appWithOwner, seed } from './dashboard-data.js'
import { CHROMIUM, CHROMIUM_ARGS, ROOT } from './lib.js'

const OUT = path.join(ROOT, 'docs/screenshots')

const dataDir = mkdtempSync(path.join(tmpdir(), 'sightline-shots-'))
const sl = await createSightline(
  loadConfig({ SIGHTLINE_DATA_DIR: dataDir, SIGHTLINE_DEMO: 'false', TRUST_PROXY: 'true' }),
  {
    logger: false,
    maintenance: false,
  },
)
const browser = await chromium.launch({
  executablePath: CHROMIUM,
  args: CHROMIUM_ARGS,
})
try {
  const app = await appWithOwner(sl, 'Shop', 'owner@example.com', 'screenshots only')
  await seed(sl, app.id, 20_000, 30)
  const url = await sl.app.listen({ port: 0, host: '127.0.0.1' })
  const shop = createServer((_req, res) =>
    res.writeHead(200, { 'content-type': 'text/html' }).end(`<!doctype html><title>Shop</title>
<script src="${url}/agent.js"></script><script>
window.identify = () => Sightline.load({ apiKey: ${JSON.stringify(app.publicKey)}, endpoint: ${JSON.stringify(url)} })
  .then((a) => a.get({ linkedId: 'customer-1042' }))</script>`),
  )
  await new Promise<void>((r) => shop.listen(0, '127.0.0.1', r))
  const shopUrl = `http://localhost:${(shop.address() as { port: number }).port}/`
  // One browser, twice with its storage and once without (a new context), from two addresses.
  let visitorId = ''
  let lastId = ''
  for (const [fresh, ip] of [
    [true, '81.2.69.142'],
    [false, '81.2.69.142'],
    [true, '93.184.216.34'],
  ] as const) {
    const context = fresh || !visitorId ? await browser.newContext() : browser.contexts()[0]!
    const page = await context.newPage()
    await page.route(`${url}/v1/identify`, (route) =>
      route.continue({ headers: { ...route.request().headers(), 'x-forwarded-for': ip } }),
    )
    await page.goto(shopUrl)
    const r = await page.evaluate(() => (window as any).identify())
    visitorId ||= r.visitorId
    lastId = r.visitorId
    await page.close()
  }
  // The storage-less visit's page shows the earlier visitors it probably is, when it is one of its own.
  const shown = lastId
  await summarizeRecentDays(sl.db.kysely, Date.now() * 1000, 31)
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } })
  const page = await context.newPage()
  await page.goto(`${url}/dashboard`)
  await page.getByLabel('Email').fill('owner@example.com')
  await page.getByLabel('Password').fill('screenshots only')
  await page.getByRole('button', { name: 'Sign in' }).click()
  await page.waitForURL(/\/dashboard\/apps\//)
  mkdirSync(OUT, { recursive: true })
  const shot = async (p: Page, name: string, path_: string, ready: string) => {
    await p.goto(`${url}${path_}`)
    await p.locator(ready).first().waitFor()
    await p.waitForLoadState('networkidle')
    await p.screenshot({ path: path.join(OUT, `${name}.png`), fullPage: true })
    console.log(`docs/screenshots/${name}.png`)
  }
  await shot(page, 'overview', `/dashboard/apps/${app.id}`, '#countries-h')
  await shot(page, 'visitors', `/dashboard/apps/${app.id}/visitors`, 'tbody th a')
  await shot(page, 'visitor', `/dashboard/apps/${app.id}/visitors/${shown}`, '.timeline')
  await shot(page, 'settings', `/dashboard/settings?app=${app.id}`, '#users-h')
  await page.emulateMedia({ colorScheme: 'dark' })
  await page.setViewportSize({ width: 390, height: 844 })
  await shot(page, 'overview-dark-390', `/dashboard/apps/${app.id}`, '#countries-h')
  shop.close()
} finally {
  await browser.close()
  await sl.close()
  rmSync(dataDir, { recursive: true, force: true })
}
