import assert from 'node:assert/strict'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, before, describe, test } from 'node:test'
import { crc32 } from 'node:zlib'
import { type Browser, type BrowserContextOptions, chromium, type Page } from 'playwright-core'
import { hash } from '../src/hash.js'
import { pngDigest } from '../src/sources/canvas.js'
import { sources } from '../src/sources/index.js'
import { STABLE_COMPONENTS } from '../src/stable.js'
import { close, startSite, startStub } from './serve.js'

declare const Sightline: typeof import('../src/index.js')

let browser: Browser
let site: Awaited<ReturnType<typeof startSite>>
let stub: Awaited<ReturnType<typeof startStub>>
const pageErrors: Error[] = []

before(async () => {
  ;[site, stub] = await Promise.all([startSite(), startStub()])
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  })
})

after(async () => {
  await browser?.close()
  await Promise.all([site && close(site.server), stub && close(stub.server)])
})

async function open(options: BrowserContextOptions = {}, path = '/'): Promise<Page> {
  const context = await browser.newContext(options)
  const page = await context.newPage()
  page.on('pageerror', (e) => pageErrors.push(e))
  await page.goto(site.url + path)
  return page
}

const collect = (page: Page) => page.evaluate(() => Sightline.collect())

const stableOf = async (page: Page) => {
  const c = await collect(page)
  return Object.fromEntries(STABLE_COMPONENTS.map((n) => [n, c[n]! && 'value' in c[n]! ? c[n]!.value : c[n]]))
}

/** Runs load() + get() in the page; resolves with the result or {error: message}. */
const identify = (page: Page, load: object, get: object = {}) =>
  page.evaluate(
    async ([l, g]) => {
      try {
        return await (await Sightline.load(l as any)).get(g)
      } catch (e) {
        return { error: (e as Error).message }
      }
    },
    [load, get] as const,
  )

describe('agent in Chromium', () => {
  test('loads without page errors and exposes the API', async () => {
    const page = await open()
    assert.equal(
      await page.evaluate(() => typeof Sightline.load + typeof Sightline.collect),
      'functionfunction',
    )
    assert.deepEqual(pageErrors, [])
    await page.context().close()
  })

  test('collect() gives every source a value or an error, with a duration', async () => {
    const page = await open()
    const c = await collect(page)
    assert.deepEqual(Object.keys(c), Object.keys(sources))
    // How long sources take is bench:agent's to measure; here, that each reports a duration.
    for (const [name, entry] of Object.entries(c)) {
      assert.equal('value' in entry, !('error' in entry), name)
      assert.ok(Number.isInteger(entry.duration) && entry.duration >= 0, name)
    }
    for (const name of STABLE_COMPONENTS) assert.ok(c[name] && 'value' in c[name], `${name} has a value`)
    assert.equal(c.userAgent && 'value' in c.userAgent && typeof c.userAgent.value, 'string')
    assert.deepEqual(c.webdriver && 'value' in c.webdriver && c.webdriver.value, {
      value: true,
      native: true,
    })
    await page.context().close()
  })

  test('stable components survive a reload and a window resize', async () => {
    // No viewport emulation (Playwright's also moves the screen): resize the real headless window.
    const page = await open({ viewport: null })
    const first = await stableOf(page)
    await page.reload()
    assert.deepEqual(await stableOf(page), first)
    const cdp = await page.context().newCDPSession(page)
    const { windowId } = await cdp.send('Browser.getWindowForTarget')
    const before = await page.evaluate(() => innerWidth)
    await cdp.send('Browser.setWindowBounds', { windowId, bounds: { width: 700, height: 500 } })
    await page.waitForFunction((w) => innerWidth !== w, before)
    assert.deepEqual(await stableOf(page), first)
    await page.context().close()
  })

  test("fonts are measured the same under the page's own style sheets", async () => {
    const plain = await open()
    const styled = await open({}, '/styled')
    const fontsOf = async (page: Page) => ((await collect(page)).fonts as { value: string[] }).value
    const expected = await fontsOf(plain)
    assert.ok(expected.length > 0, 'some of the listed fonts are installed')
    assert.deepEqual(await fontsOf(styled), expected)
    await Promise.all([plain.context().close(), styled.context().close()])
  })

  test('stable components differ with another time zone, locale and screen', async () => {
    const a = await open({
      timezoneId: 'Europe/Berlin',
      locale: 'de-DE',
      screen: { width: 1920, height: 1080 },
    })
    const b = await open({ timezoneId: 'Asia/Tokyo', locale: 'ja-JP', screen: { width: 1366, height: 768 } })
    const [sa, sb] = await Promise.all([stableOf(a), stableOf(b)])
    assert.notDeepEqual(sa.intl, sb.intl)
    assert.notDeepEqual(sa.languages, sb.languages)
    assert.notDeepEqual(sa.screenSize, sb.screenSize)
    assert.equal((sa.intl as { timeZone: string }).timeZone, 'Europe/Berlin')
    await Promise.all([a.context().close(), b.context().close()])
  })

  test('get() identifies against the endpoint and persists storedId', async () => {
    stub.seen.length = 0
    const page = await open()
    const r: any = await identify(
      page,
      { apiKey: 'pk_test', endpoint: `${stub.url}/` },
      { tag: { orderId: 42 }, linkedId: 'user-17', extendedResult: true },
    )
    assert.equal(r.error, undefined, r.error)
    assert.match(r.requestId, /\.req/)
    assert.equal(r.visitorFound, false)
    assert.deepEqual(r.confidence, { score: 1 })
    assert.equal(r.ip, '127.0.0.1', 'extended fields are passed through')
    assert.equal('storedId' in r, false)

    assert.deepEqual(
      stub.seen.map((s) => s.method),
      ['POST'],
      'one simple request, no preflight',
    )
    const sent = stub.seen[0]!
    assert.equal(sent.contentType, 'text/plain;charset=UTF-8')
    assert.equal(sent.origin, site.url)
    assert.deepEqual(sent.body.tag, { orderId: 42 })
    assert.equal(sent.body.linkedId, 'user-17')
    assert.equal(sent.body.extendedResult, true)
    assert.equal(sent.body.storedId, null)
    assert.equal(sent.body.url, `${site.url}/`)
    assert.deepEqual(Object.keys(sent.body.components), Object.keys(sources))
    const storedId = `sid_${r.visitorId.split('-')[1]}_${'x'.repeat(40)}`

    const stored = () =>
      page.evaluate(async () => {
        const db = await new Promise<IDBDatabase>((res, rej) => {
          const o = indexedDB.open('sightline')
          o.onsuccess = () => res(o.result)
          o.onerror = () => rej(o.error)
        })
        const value = await new Promise((res) => {
          const q = db.transaction('ids').objectStore('ids').get('_slid')
          q.onsuccess = () => res(q.result)
        })
        db.close()
        return { local: localStorage.getItem('_slid'), idb: value, cookie: document.cookie }
      })
    assert.deepEqual(await stored(), { local: storedId, idb: storedId, cookie: `_slid=${storedId}` })
    const [cookie] = await page.context().cookies()
    assert.equal(cookie?.sameSite, 'Lax')
    assert.equal(cookie?.path, '/')
    assert.ok(Math.abs(cookie!.expires - Date.now() / 1000 - 365 * 86400) < 120, 'one year')

    // Cookies cleared: localStorage and IndexedDB restore it on load.
    await page.context().clearCookies()
    await page.reload()
    const again: any = await identify(page, { apiKey: 'pk_test', endpoint: stub.url })
    assert.equal(again.visitorFound, true)
    assert.equal(stub.seen.at(-1)!.body.storedId, storedId)
    assert.equal((await stored()).cookie, `_slid=${storedId}`)

    // Cookie and localStorage gone: IndexedDB alone restores both before the request.
    await page.context().clearCookies()
    await page.evaluate(() => localStorage.clear())
    await page.reload()
    await identify(page, { apiKey: 'pk_test', endpoint: stub.url })
    assert.equal(stub.seen.at(-1)!.body.storedId, storedId)
    assert.deepEqual(await stored(), { local: storedId, idb: storedId, cookie: `_slid=${storedId}` })

    // IndexedDB gone (cookie intact, so nobody waits for IndexedDB): rewritten after the identification.
    await page.evaluate(
      () =>
        new Promise((res, rej) => {
          const d = indexedDB.deleteDatabase('sightline')
          d.onsuccess = res
          d.onerror = rej
        }),
    )
    await page.reload()
    await identify(page, { apiKey: 'pk_test', endpoint: stub.url })
    assert.equal(stub.seen.at(-1)!.body.storedId, storedId)
    await page.waitForFunction(
      () =>
        new Promise((res) => {
          const o = indexedDB.open('sightline')
          o.onsuccess = () => {
            const db = o.result
            if (!db.objectStoreNames.contains('ids')) {
              db.close()
              res(false)
              return
            }
            const q = db.transaction('ids').objectStore('ids').get('_slid')
            q.onsuccess = () => {
              db.close()
              res(!!q.result)
            }
          }
          o.onerror = () => res(false)
        }),
    )
    assert.deepEqual(await stored(), { local: storedId, idb: storedId, cookie: `_slid=${storedId}` })
    assert.deepEqual(pageErrors, [])
    await page.context().close()
  })

  test("canvas digests are the CRC-32s Chromium's PNGs carry, and one pixel changes them", async () => {
    const page = await open()
    const [a, again, b] = await page.evaluate(() => {
      const canvas = document.createElement('canvas')
      canvas.width = 240
      canvas.height = 60
      const ctx = canvas.getContext('2d')!
      ctx.font = '18pt Arial'
      ctx.fillText('Cwm fjordbank gly', 4, 45)
      const first = canvas.toDataURL()
      const second = canvas.toDataURL()
      ctx.fillStyle = '#fff'
      ctx.fillRect(0, 0, 1, 1)
      return [first, second, canvas.toDataURL()]
    })
    // Read the chunks independently and check each stored CRC against the chunk's type and data.
    const png = Buffer.from(a.slice('data:image/png;base64,'.length), 'base64')
    const crcs: number[] = [png.length]
    for (let i = 8; i < png.length; ) {
      const length = png.readUInt32BE(i)
      const crc = png.readUInt32BE(i + 8 + length)
      assert.equal(crc, crc32(png.subarray(i + 4, i + 8 + length)))
      crcs.push(crc)
      i += 12 + length
    }
    assert.ok(crcs.length >= 4, 'IHDR, IDAT…, IEND')
    assert.equal(pngDigest(a), hash(crcs.join()))
    assert.equal(pngDigest(again), pngDigest(a))
    assert.notEqual(pngDigest(b), pngDigest(a))
    // Not a PNG, or a cut one: hashed whole.
    assert.equal(pngDigest('data:,'), hash('data:,'))
    assert.equal(pngDigest(a.slice(0, -8)), hash(a.slice(0, -8)))
    await page.context().close()
  })

  test('audio is the value the createOscillator() graph renders (the constructor path must not move it)', async () => {
    const page = await open()
    const [collected, legacy] = await page.evaluate(async () => {
      const c: any = await Sightline.collect()
      const ctx = new OfflineAudioContext(2, 5000, 44100)
      const osc = ctx.createOscillator()
      osc.type = 'triangle'
      osc.frequency.value = 10000
      const comp = ctx.createDynamicsCompressor()
      comp.threshold.value = -50
      comp.knee.value = 40
      comp.ratio.value = 12
      comp.attack.value = 0
      comp.release.value = 0.25
      osc.connect(comp)
      comp.connect(ctx.destination)
      osc.start(0)
      const samples = (await ctx.startRendering()).getChannelData(0)
      let sum = 0
      for (let i = 4500; i < 5000; i++) sum += Math.abs(samples[i]!)
      return [c.audio.value, sum]
    })
    assert.equal(typeof collected, 'number')
    assert.equal(collected, legacy)
    await page.context().close()
  })

  test('noise injected into canvas and audio read-backs makes them "unstable"', async () => {
    const page = await open()
    const clean = await collect(page)
    const value = (c: any, name: string) => c[name].value
    assert.equal(value(clean, 'canvas').stable, true)
    assert.equal(typeof value(clean, 'audio'), 'number')
    // What Safari's and Firefox's protections do: each read-back of a canvas or an audio buffer is perturbed.
    await page.addInitScript(() => {
      const toDataURL = HTMLCanvasElement.prototype.toDataURL
      HTMLCanvasElement.prototype.toDataURL = function (...args: any[]) {
        const ctx = this.getContext('2d')
        if (ctx) {
          const x = Math.floor(Math.random() * this.width)
          const y = Math.floor(Math.random() * this.height)
          const px = ctx.getImageData(x, y, 1, 1)
          px.data[0] = px.data[0]! ^ 1
          px.data[3] = 255
          ctx.putImageData(px, x, y)
        }
        return toDataURL.apply(this, args as [])
      }
      const getChannelData = AudioBuffer.prototype.getChannelData
      AudioBuffer.prototype.getChannelData = function (channel: number) {
        const data = getChannelData.call(this, channel).slice()
        for (let i = 0; i < data.length; i++) data[i] = data[i]! + (Math.random() - 0.5) * 1e-7
        return data
      }
    })
    await page.reload()
    const noisy = await collect(page)
    assert.deepEqual(value(noisy, 'canvas'), { text: 'unstable', geometry: 'unstable', stable: false })
    assert.equal(value(noisy, 'audio'), 'unstable')
    await page.context().close()
  })

  test('after get() answers, the WebGL context is released; the next collection reads the same values', async () => {
    const context = await browser.newContext()
    await context.addInitScript(() => {
      // WebGL extension interfaces have no global: count calls on the objects getExtension hands out.
      const w = window as any
      w.__lost = 0
      const getExtension = WebGLRenderingContext.prototype.getExtension
      WebGLRenderingContext.prototype.getExtension = function (this: WebGLRenderingContext, name: string) {
        const ext = getExtension.call(this, name)
        if (name === 'WEBGL_lose_context' && ext) {
          const lose = ext.loseContext.bind(ext)
          ext.loseContext = () => {
            w.__lost++
            lose()
          }
        }
        return ext
      } as typeof getExtension
    })
    const page = await context.newPage()
    await page.goto(site.url)
    const seen = await page.evaluate(async (endpoint) => {
      const agent = await Sightline.load({ apiKey: 'pk_test', endpoint })
      await agent.get()
      return (window as any).__lost
    }, stub.url)
    assert.equal(seen, 0, 'the context is still held when the answer arrives')
    // Then released: wait for it to happen, however long a busy machine takes.
    await page.waitForFunction(() => (window as any).__lost === 1)
    const [first, second] = [await collect(page), await collect(page)]
    const gl = (c: any) => [c.webgl.value, c.webglParams.value]
    assert.ok(first.webgl && 'value' in first.webgl && first.webgl.value, 'WebGL read after the release')
    assert.deepEqual(gl(second), gl(first))
    await context.close()
  })

  test('load() starts collecting; get() reuses that collection until the page changes', async () => {
    stub.seen.length = 0
    const page = await open({ viewport: null })
    await page.evaluate(async (endpoint) => {
      const w = window as any
      w.agent = await Sightline.load({ apiKey: 'pk_test', endpoint })
      // Past the slow sources' waits: get() must not start them again.
      await new Promise((r) => setTimeout(r, 150))
      await w.agent.get()
      await w.agent.get()
    }, stub.url)
    const [a, b] = stub.seen.map((s) => s.body.components)
    assert.ok(a && b)
    // The same collection, each request with a nonce of its own (so a re-post is a replay).
    const nonceOf = (c: any) => c.automation.value.n
    assert.notEqual(nonceOf(a), nonceOf(b))
    const withoutNonce = (c: any) => ({
      ...c,
      automation: { ...c.automation, value: { ...c.automation.value, n: null } },
    })
    // Durations included: the same collection, not a second one.
    assert.deepEqual(withoutNonce(b), withoutNonce(a), 'the second get() sends the same collection')

    // A window resize makes the next get() collect again.
    const cdp = await page.context().newCDPSession(page)
    const { windowId } = await cdp.send('Browser.getWindowForTarget')
    const width = await page.evaluate(() => innerWidth)
    await cdp.send('Browser.setWindowBounds', { windowId, bounds: { width: 640, height: 480 } })
    await page.waitForFunction((w) => innerWidth !== w, width)
    await page.evaluate(() => (window as any).agent.get())
    const c = stub.seen[2]!.body.components
    assert.notDeepEqual(c.viewport, a.viewport)
    assert.equal(c.viewport.value.innerWidth, await page.evaluate(() => innerWidth))
    await page.context().close()
  })

  test('get() errors use the commercial messages', async () => {
    const dead = createServer()
    await new Promise<void>((r) => dead.listen(0, '127.0.0.1', r))
    const deadUrl = `http://127.0.0.1:${(dead.address() as AddressInfo).port}`
    await close(dead)

    const page = await open()
    const cases: [object, object, string][] = [
      [{ apiKey: 'pk_forbidden', endpoint: stub.url }, {}, 'API key not found'],
      [{ apiKey: 'pk_limited', endpoint: stub.url }, {}, 'Too many requests, rate limit exceeded'],
      [{ apiKey: 'pk_invalid', endpoint: stub.url }, {}, 'invalid body.tag: too large'],
      [{ endpoint: stub.url }, {}, 'API key required'],
      [{ apiKey: 'pk_test', endpoint: deadUrl }, {}, 'Network connection error'],
      [{ apiKey: 'pk_hang', endpoint: stub.url }, { timeout: 300 }, 'Client timeout'],
    ]
    // pk_hang never answers: only get()'s own timeout ends it.
    for (const [load, get, message] of cases) {
      assert.deepEqual(await identify(page, load, get), { error: message })
    }
    assert.deepEqual(pageErrors, [])
    await page.context().close()
  })

  test('blocked storage (sandboxed iframe) never throws', async () => {
    const page = await open({}, '/sandbox')
    const frame = page.frames()[1]!
    await frame.waitForLoadState()
    assert.equal(await frame.evaluate(() => origin), 'null')
    const r: any = await frame.evaluate(async (endpoint) => {
      const agent = await Sightline.load({ apiKey: 'pk_test', endpoint })
      const c = await Sightline.collect()
      return { ...(await agent.get()), storage: c.storage }
    }, stub.url)
    assert.equal(typeof r.visitorId, 'string')
    assert.equal(r.storage.value.localStorage, false)
    assert.deepEqual(pageErrors, [])
    await page.context().close()
  })
})
