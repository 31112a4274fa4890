import assert from 'node:assert/strict'
import { createServer, type Server } from 'node:http'
import { after, before, describe, it } from 'node:test'
import { build } from 'esbuild'
import type { Page } from 'playwright-core'
import { createElement as h } from 'react'
import { renderToString } from 'react-dom/server'
import { launch } from '../../server/test/browser.js'
import { startServer, type TestServer } from '../../server/test/helpers.js'
import { SightlineProvider, useVisitorData } from '../src/index.js'

function Visitor() {
  const { isLoading, data } = useVisitorData()
  return h('p', null, isLoading ? 'loading' : (data?.visitorId ?? 'none'))
}
function Lazy() {
  const { isLoading } = useVisitorData({}, { immediate: false })
  return h('p', null, isLoading ? 'loading' : 'idle')
}
function Orphan() {
  useVisitorData()
  return null
}

describe('@sightline/react on the server', () => {
  it('renders the loading state without touching browser globals', () => {
    assert.equal(typeof (globalThis as any).window, 'undefined')
    assert.equal(typeof (globalThis as any).document, 'undefined')
    const html = renderToString(
      h(
        SightlineProvider,
        { loadOptions: { apiKey: 'pk', endpoint: 'http://127.0.0.1:1' } },
        h(Visitor),
        h(Lazy),
      ),
    )
    assert.equal(html, '<p>loading</p><p>idle</p>')
  })

  it('says so when the hook has no provider', () => {
    assert.throws(() => renderToString(h(Orphan)), /inside <SightlineProvider>/)
  })
})

describe('@sightline/react in Chromium: a page bundled by esbuild, against a real server', () => {
  let s: TestServer
  let site: Server
  let siteUrl: string
  let browser: Awaited<ReturnType<typeof launch>>

  before(async () => {
    const bundle = await build({
      entryPoints: [new URL('./page.ts', import.meta.url).pathname],
      bundle: true,
      write: false,
      format: 'esm',
      define: { 'process.env.NODE_ENV': '"production"' },
      logLevel: 'warning',
    })
    const js = bundle.outputFiles[0]!.text
    site = createServer((req, res) => {
      if (req.url === '/app.js') return void res.writeHead(200, { 'content-type': 'text/javascript' }).end(js)
      if (req.url?.startsWith('/?') || req.url === '/')
        return void res
          .writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
          .end(
            '<!doctype html><title>React</title><div id="root"></div><script type="module" src="/app.js"></script>',
          )
      res.writeHead(404).end()
    })
    await new Promise<void>((r) => site.listen(0, '127.0.0.1', r))
    const addr = site.address()
    // `localhost` for the page and 127.0.0.1 for Sightline: the agent runs cross-origin, as on a real site.
    siteUrl = `http://localhost:${typeof addr === 'object' && addr ? addr.port : 0}/`
    s = await startServer()
    browser = await launch()
  })
  after(async () => {
    await browser?.close()
    await new Promise<void>((r) => {
      site?.closeAllConnections()
      site ? site.close(() => r()) : r()
    })
    await s?.close()
  })

  /** Opens the page; records every identify answer the server sent it. */
  async function open(cache: string, apiKey = s.publicKey) {
    const page = await browser.context.newPage()
    const errors: Error[] = []
    page.on('pageerror', (e) => errors.push(e))
    const answers: { visitorId: string }[] = []
    page.on('response', async (r) => {
      if (r.url() === `${s.url}/v1/identify` && r.request().method() === 'POST') answers.push(await r.json())
    })
    const q = new URLSearchParams({ apiKey, endpoint: s.url, cache })
    await page.goto(`${siteUrl}?${q}`)
    return { page, answers, errors }
  }

  const shown = async (page: Page, id: string) => {
    const out = page.locator(`#${id}`)
    await out.waitFor()
    await page.waitForFunction((sel) => {
      const t = document.querySelector(sel)?.textContent
      return t && t !== 'loading'
    }, `#${id}`)
    return (await out.textContent()) ?? ''
  }

  /** Waits until n answers arrived, then a moment more to see that no other request follows. */
  const settle = async (page: Page, answers: unknown[], n: number) => {
    for (let i = 0; i < 100 && answers.length < n; i++) await page.waitForTimeout(50)
    await page.waitForTimeout(300)
    assert.equal(answers.length, n, 'identify requests')
  }

  it('shows the server-assigned visitorId; a second hook is served from memory; ignoreCache asks again', async () => {
    const { page, answers, errors } = await open('memory')
    const first = await shown(page, 'first')
    await settle(page, answers, 1)
    assert.match(first, /^[A-Za-z0-9]{20}$/, `visitorId shown: ${first}`)
    assert.equal(first, answers[0]!.visitorId)

    await page.click('#mount-second')
    assert.equal(await shown(page, 'second'), first)
    await settle(page, answers, 1)

    await page.click('#second-refresh')
    await settle(page, answers, 2)
    assert.equal(await shown(page, 'second'), answers[1]!.visitorId)
    assert.equal(answers[1]!.visitorId, first, 'same browser, same visitor')
    assert.deepEqual(errors, [])
    await page.close()
  })

  it('with sessionStorage, a reload is served from the cache; with no cache, every hook asks', async () => {
    const a = await open('sessionStorage')
    const id = await shown(a.page, 'first')
    await settle(a.page, a.answers, 1)
    a.answers.length = 0
    await a.page.reload()
    assert.equal(await shown(a.page, 'first'), id)
    await settle(a.page, a.answers, 0)
    await a.page.close()

    const b = await open('false')
    assert.equal(await shown(b.page, 'first'), id)
    await settle(b.page, b.answers, 1)
    await b.page.click('#mount-second')
    assert.equal(await shown(b.page, 'second'), id)
    await settle(b.page, b.answers, 2)
    assert.deepEqual([...a.errors, ...b.errors], [])
    await b.page.close()
  })

  it("shows the agent's error; errors are not cached, so the next hook asks again", async () => {
    const { page, answers, errors } = await open('memory', 'pk_unknown')
    assert.equal(await shown(page, 'first'), 'error: API key not found')
    await settle(page, answers, 1)
    await page.click('#mount-second')
    assert.equal(await shown(page, 'second'), 'error: API key not found')
    await settle(page, answers, 2)
    assert.deepEqual(errors, [])
    await page.close()
  })
})
