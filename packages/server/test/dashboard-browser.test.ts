import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import { after, before, describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import type { BrowserContext, Page } from 'playwright-core'
import { hashPassword } from '../src/dashboard/passwords.js'
import { insertUser } from '../src/store/users.js'
import { launch, servePage } from './browser.js'
import { DIALECTS, dialectName, startServer, type TestServer } from './helpers.js'

const PASSWORD = 'correct horse battery'
const AXE_SOURCE = readFileSync(
  fileURLToPath(new URL('../../../node_modules/axe-core/axe.min.js', import.meta.url)),
  'utf8',
)

/** Serious and critical accessibility problems axe-core finds on the page, as "rule: targets". */
async function axeProblems(page: Page): Promise<string[]> {
  // Evaluated, not added as a script tag: the dashboard's CSP refuses inline scripts.
  await page.evaluate(AXE_SOURCE)
  const result = await page.evaluate(() => (window as any).axe.run())
  return (result.violations as any[])
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id}: ${v.nodes.map((n: any) => n.target.join(' ')).join(', ')}`)
}

/** A webhook receiver on 127.0.0.1 that keeps what it gets. */
async function receiver() {
  const bodies: any[] = []
  const server: Server = createServer((req, res) => {
    let body = ''
    req.on('data', (c) => (body += c))
    req.on('end', () => {
      bodies.push(JSON.parse(body))
      res.writeHead(200).end('ok')
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const addr = server.address()
  return {
    bodies,
    url: `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}/hook`,
    close: () => new Promise<void>((r) => server.close(() => r())),
  }
}

for (const dialect of DIALECTS) {
  describe(`dashboard in Chromium (${dialectName(dialect)})`, () => {
    let s: TestServer
    let site: Awaited<ReturnType<typeof servePage>>
    let browser: Awaited<ReturnType<typeof launch>>
    let hook: Awaited<ReturnType<typeof receiver>>
    let visitorId = ''
    let admin: Page

    before(async () => {
      s = await startServer({ trustProxy: true }, {}, { dialect })
      const passwordHash = await hashPassword(PASSWORD)
      await insertUser(s.sl.db.kysely, {
        id: 'user_admin',
        email: 'owner@example.com',
        passwordHash,
        role: 'admin',
        createdAt: Date.now(),
      })
      await insertUser(s.sl.db.kysely, {
        id: 'user_viewer',
        email: 'analyst@example.com',
        passwordHash,
        role: 'viewer',
        createdAt: Date.now(),
      })
      site = await servePage(`<!doctype html><html><head><title>Shop</title>
<script src="${s.url}/agent.js"></script></head><body><h1>Checkout</h1>
<script>
window.identify = () => Sightline.load({ apiKey: ${JSON.stringify(s.publicKey)}, endpoint: ${JSON.stringify(s.url)} })
  .then((agent) => agent.get({ linkedId: 'acct-42' }))
</script></body></html>`)
      browser = await launch()
      hook = await receiver()
    })
    after(async () => {
      await browser?.close()
      await site?.close()
      await hook?.close()
      await s?.close()
    })

    /** The owner's shop page, its visitor coming from a London address (as a proxy reports it). */
    async function visitShop(context: BrowserContext = browser.context) {
      const page = await context.newPage()
      await page.route(`${s.url}/v1/identify`, (route) =>
        route.continue({ headers: { ...route.request().headers(), 'x-forwarded-for': '81.2.69.142' } }),
      )
      await page.goto(site.url)
      const result = await page.evaluate(() => (window as any).identify())
      await page.close()
      return result as { visitorId: string; requestId: string }
    }

    async function signIn(page: Page, email: string, password = PASSWORD) {
      await page.getByLabel('Email').fill(email)
      await page.getByLabel('Password').fill(password)
      await page.getByRole('button', { name: 'Sign in' }).click()
    }

    const api = (page: Page, path: string) =>
      page.evaluate(async (p) => (await fetch(`/dashboard/api${p}`)).json(), path) as Promise<any>

    it('shows an agent visit from a third-party page on the overview and in the visitor list', async () => {
      visitorId = (await visitShop()).visitorId
      admin = await browser.context.newPage()
      const errors: string[] = []
      admin.on('pageerror', (e) => errors.push(e.message))
      await admin.goto(`${s.url}/dashboard/apps/${s.appId}`)
      assert.match(admin.url(), /\/dashboard\/sign-in\?next=/, 'no session: sign in first')
      await signIn(admin, 'owner@example.com', 'not the password')
      assert.equal(await admin.getByRole('alert').textContent(), 'Wrong email or password.')
      await signIn(admin, 'owner@example.com')
      await admin.waitForURL(`${s.url}/dashboard/apps/${s.appId}`)
      const totals = admin.locator('section[aria-labelledby="totals-h"]')
      await totals.getByText('Visits', { exact: true }).waitFor()
      assert.equal(await totals.locator('dt:text-is("Visits") + dd').textContent(), '1')
      await admin
        .locator('section[aria-labelledby="countries-h"]')
        .getByText('United Kingdom')
        .first()
        .waitFor()

      await admin.getByRole('link', { name: 'Visitors', exact: true }).click()
      await admin.waitForURL(`${s.url}/dashboard/apps/${s.appId}/visitors`)
      await admin.locator('#results-h').waitFor()
      await admin.getByRole('link', { name: visitorId }).waitFor()
      assert.deepEqual(errors, [])
    })

    it("opens the visitor: the visit's city from its address, its reasons and its bot verdict", async () => {
      await admin.getByRole('link', { name: visitorId }).click()
      await admin.waitForURL(`${s.url}/dashboard/apps/${s.appId}/visitors/${visitorId}`)
      const timeline = admin.locator('.timeline')
      await timeline.waitFor()
      await timeline
        .getByText(/London/)
        .first()
        .waitFor()
      await timeline
        .getByText(
          'A new visitor: no valid stored identifier came back, and no earlier visitor matched surely enough.',
        )
        .waitFor()
      const stored = await api(admin, `/apps/${s.appId}/visitors/${visitorId}`)
      const label = { bad: 'Bad bot', good: 'Good bot', notDetected: 'Not a bot' }[
        stored.visits[0].bot.result as string
      ]!
      await timeline.getByText(label).first().waitFor()
      await admin.getByText('acct-42').first().waitFor()
    })

    it('searches by linkedId and by address', async () => {
      for (const q of ['acct-42', '81.2.69.142', '81.2.69.0/24']) {
        await admin.goto(`${s.url}/dashboard/apps/${s.appId}/visitors`)
        await admin.getByLabel('Search', { exact: true }).fill(q)
        await admin.getByRole('button', { name: 'Search', exact: true }).click()
        await admin.waitForURL((u) => u.searchParams.get('q') === q)
        await admin.getByRole('link', { name: visitorId }).waitFor()
      }
      await admin.getByLabel('Search', { exact: true }).fill('10.0.0.0/8')
      await admin.getByRole('button', { name: 'Search', exact: true }).click()
      await admin.waitForURL((u) => u.searchParams.get('q') === '10.0.0.0/8')
      await admin.locator('#results-h').waitFor()
      await admin.waitForFunction(() => !document.querySelector('tbody th a'))
    })

    it('passes axe-core on every page, light and dark, and fits a 390 px screen', async () => {
      const { requestId } = (await api(admin, `/apps/${s.appId}/visitors/${visitorId}`)).visits[0]
      const pages = [
        `/dashboard/apps/${s.appId}`,
        `/dashboard/apps/${s.appId}/visitors`,
        `/dashboard/apps/${s.appId}/visitors/${visitorId}`,
        `/dashboard/apps/${s.appId}/visits/${requestId}`,
        `/dashboard/settings?app=${s.appId}`,
      ]
      const problems: string[] = []
      for (const scheme of ['light', 'dark'] as const) {
        await admin.emulateMedia({ colorScheme: scheme })
        for (const [width, height] of [
          [1280, 900],
          [390, 844],
        ] as const) {
          await admin.setViewportSize({ width, height })
          for (const path of pages) {
            await admin.goto(`${s.url}${path}`)
            await admin.locator('main h1').waitFor()
            await admin.waitForLoadState('networkidle')
            for (const p of await axeProblems(admin)) problems.push(`${scheme} ${width}px ${path}: ${p}`)
            const overflow = await admin.evaluate(
              () => document.documentElement.scrollWidth - window.innerWidth,
            )
            if (overflow > 1)
              problems.push(`${scheme} ${width}px ${path}: ${overflow}px wider than the screen`)
          }
        }
      }
      await admin.emulateMedia({ colorScheme: 'light' })
      await admin.setViewportSize({ width: 1280, height: 900 })
      assert.deepEqual(problems, [])
    })

    it('is usable by keyboard: the sign-in form and the visitor search', async () => {
      const context = await browser.context.browser()!.newContext()
      try {
        const page = await context.newPage()
        await page.goto(`${s.url}/dashboard`)
        await page.locator('#email').focus()
        await page.keyboard.type('owner@example.com')
        await page.keyboard.press('Tab')
        await page.keyboard.type(PASSWORD)
        await page.keyboard.press('Enter')
        await page.waitForURL(/\/dashboard\/(apps|settings)/)
        await page.goto(`${s.url}/dashboard/apps/${s.appId}/visitors`)
        await page.getByLabel('Search', { exact: true }).focus()
        await page.keyboard.type('acct-42')
        await page.keyboard.press('Enter')
        await page.getByRole('link', { name: visitorId }).waitFor()
        await page.getByRole('link', { name: visitorId }).focus()
        await page.keyboard.press('Enter')
        await page.waitForURL(/\/visitors\/[A-Za-z0-9]+$/)
      } finally {
        await context.close()
      }
    })

    it('adds a webhook and shows its delivery', async () => {
      await admin.goto(`${s.url}/dashboard/settings?app=${s.appId}`)
      await admin.getByLabel('Webhook URL').fill(hook.url)
      await admin.getByLabel('Allow private addresses').check()
      await admin.getByRole('button', { name: 'Add webhook' }).click()
      await admin.locator('.secret').waitFor()
      await admin.getByRole('button', { name: 'Done' }).click()
      const { requestId } = await visitShop()
      for (let i = 0; i < 100 && !hook.bodies.some((b) => b.event_id === requestId); i++)
        await new Promise((r) => setTimeout(r, 100))
      assert.ok(
        hook.bodies.some((b) => b.event_id === requestId),
        'the receiver got the event',
      )
      await admin.reload()
      const row = admin.getByRole('row', { name: new RegExp(requestId.replace('.', '\\.')) })
      await row.waitFor()
      assert.match((await row.textContent()) ?? '', /delivered/)
    })

    it('rotates a secret: the old one stops working', async () => {
      await admin.goto(`${s.url}/dashboard/settings?app=${s.appId}`)
      await admin.getByRole('button', { name: 'Rotate secret key' }).click()
      await admin.locator('dialog[open]').getByRole('button', { name: 'Rotate secret key' }).click()
      const secret = await admin.locator('.secret input').inputValue()
      assert.match(secret, /^sk_/)
      await admin.getByRole('button', { name: 'Done' }).click()
      const v1 = (key: string) => fetch(`${s.url}/v1/visitors/${visitorId}`, { headers: { Auth: key } })
      assert.equal((await v1(s.secretKey)).status, 403)
      assert.equal((await v1(secret)).status, 200)
      s.secretKey = secret
    })

    it('lets a viewer read but change nothing', async () => {
      const context = await browser.context.browser()!.newContext()
      try {
        const page = await context.newPage()
        await page.goto(`${s.url}/dashboard/settings?app=${s.appId}`)
        await signIn(page, 'analyst@example.com')
        await page.getByText('You have read-only access.').waitFor()
        for (const name of ['Create app', 'Add webhook', 'Rotate secret key', 'Add user'])
          assert.equal(await page.getByRole('button', { name }).count(), 0, `no "${name}" for a viewer`)
        await page.goto(`${s.url}/dashboard/apps/${s.appId}/visitors/${visitorId}`)
        await page.locator('.timeline').waitFor()
        assert.equal(await page.getByRole('button', { name: 'Delete visitor' }).count(), 0)
        const status = await page.evaluate(async () => {
          const csrf = document.querySelector<HTMLMetaElement>('meta[name="csrf-token"]')!.content
          const res = await fetch('/dashboard/api/apps', {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'x-csrf-token': csrf },
            body: JSON.stringify({ name: 'Viewer app' }),
          })
          return res.status
        })
        assert.equal(status, 403, 'the server refuses a viewer even with a valid CSRF token')
      } finally {
        await context.close()
      }
    })

    it('refuses a cross-origin POST without the CSRF token', async () => {
      const shop = await browser.context.newPage()
      await shop.goto(site.url)
      // A form posted from another site, and a script's request: the admin's browser holds a session.
      await shop.evaluate(async (target) => {
        await fetch(`${target}/dashboard/api/apps`, {
          method: 'POST',
          mode: 'no-cors',
          credentials: 'include',
          headers: { 'content-type': 'text/plain' },
          body: JSON.stringify({ name: 'Planted by another site' }),
        }).catch(() => {})
        const form = document.createElement('form')
        form.method = 'POST'
        form.action = `${target}/dashboard/api/apps`
        form.innerHTML = '<input name="name" value="Planted by a form">'
        document.body.append(form)
        form.submit()
      }, s.url)
      await shop.waitForLoadState('load')
      await shop.close()
      const cookies = await browser.context.cookies(`${s.url}/dashboard`)
      const session = cookies.find((c) => c.name === 'sightline_session')
      assert.ok(session, 'the admin is signed in in this browser')
      assert.equal(session.sameSite, 'Strict')
      assert.equal(session.httpOnly, true)
      // Even when a cookie does reach the server from another origin, the token is missing.
      const direct = await fetch(`${s.url}/dashboard/api/apps`, {
        method: 'POST',
        headers: {
          cookie: `sightline_session=${session.value}`,
          origin: 'https://evil.example',
          'content-type': 'application/json',
        },
        body: JSON.stringify({ name: 'Planted directly' }),
      })
      assert.equal(direct.status, 403)
      const names = (await api(admin, '/apps')).map((a: any) => a.name)
      assert.deepEqual(
        names.filter((n: string) => /Planted/.test(n)),
        [],
      )
    })

    it('deletes a visitor after confirmation', async () => {
      await admin.goto(`${s.url}/dashboard/apps/${s.appId}/visitors/${visitorId}`)
      await admin.locator('.timeline').waitFor()
      await admin.getByRole('button', { name: 'Delete visitor' }).click()
      await admin.locator('dialog[open]').getByRole('button', { name: 'Delete visitor' }).click()
      await admin.waitForURL(`${s.url}/dashboard/apps/${s.appId}/visitors`)
      await admin.getByText(/Visitor deleted/).waitFor()
      assert.equal(await admin.getByRole('link', { name: visitorId }).count(), 0)
      const res = await fetch(`${s.url}/v1/visitors/${visitorId}`, { headers: { Auth: s.secretKey } })
      assert.equal(res.status, 404, 'the Server API no longer knows the visitor')
    })

    it('sends an expired session back to sign-in', async () => {
      // Leave the dashboard first: its own requests would meet the expiry too and redirect the page
      // while the navigation below is under way (net::ERR_ABORTED).
      await admin.goto('about:blank')
      await s.sl.db.kysely
        .updateTable('sessions')
        .set({ last_seen_at: Date.now() - 2 * 3_600_000 })
        .execute()
      await admin.goto(`${s.url}/dashboard/apps/${s.appId}/visitors`)
      assert.match(admin.url(), /\/dashboard\/sign-in\?next=.*&expired=1$/)
      await admin.getByText('Your session has ended. Sign in again.').waitFor()
      await signIn(admin, 'owner@example.com')
      await admin.waitForURL(`${s.url}/dashboard/apps/${s.appId}/visitors`)
    })
  })
}
