// Bot detection in real browsers (Debian Chromium): automation, disguised automation, and a person's
// browser that nothing drives. Headful cases run under an Xvfb this test starts; without Xvfb it fails.
import assert from 'node:assert/strict'
import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { after, before, describe, it } from 'node:test'
import { chromium } from 'playwright-core'
import {
  AUTOMATION_OFF,
  CHROME_UA_WINDOWS as CHROME_UA,
  CHROME_UA_LINUX,
  DROP_DEFAULT_ARGS,
  MASK_WEBDRIVER,
  STEALTH,
} from './bot-scenarios.js'
import { CHROMIUM, CHROMIUM_ARGS } from './browser.js'
import { startServer, type TestServer } from './helpers.js'

/** Starts Xvfb on a free display; fails with a clear message when it is not installed. */
async function startXvfb(): Promise<{ display: string; stop(): Promise<void> }> {
  if (spawnSync('sh', ['-c', 'command -v Xvfb']).status !== 0)
    throw new Error('Xvfb is required for the headful bot-detection tests: apt-get install xvfb')
  const child = spawn('Xvfb', ['-displayfd', '3', '-screen', '0', '1920x1080x24', '-nolisten', 'tcp'], {
    stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
  })
  const display = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('Xvfb did not report a display within 10 s')), 10_000)
    let out = ''
    ;(child.stdio[3] as NodeJS.ReadableStream).on('data', (c) => {
      out += c
      if (out.includes('\n')) {
        clearTimeout(timer)
        resolve(`:${out.trim()}`)
      }
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`Xvfb exited (${code}) before it was ready`))
    })
  })
  return { display, stop: () => stopChild(child) }
}

/** Signals a child, and its whole process group when it was spawned detached (Chromium's helpers). */
function signal(child: ChildProcess, sig: NodeJS.Signals) {
  try {
    if (child.pid && child.spawnargs[0] === CHROMIUM) process.kill(-child.pid, sig)
    else child.kill(sig)
  } catch {
    child.kill(sig)
  }
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
  return new Promise((r) => {
    const t = setTimeout(() => signal(child, 'SIGKILL'), 3000)
    child.once('exit', () => {
      clearTimeout(t)
      r()
    })
    signal(child, 'SIGTERM')
  })
}

interface Bot {
  browserSaysItsBot: boolean
  browserHeadless: boolean
  botProbability: number
  reasons: { signal: string; weight: number }[]
}

describe('bot detection in real Chromium', { timeout: 420_000 }, () => {
  let s: TestServer
  let site: Server
  let siteUrl: string
  let xvfb: Awaited<ReturnType<typeof startXvfb>>
  const reported = new Map<string, (requestId: string) => void>()
  const cleanups: (() => Promise<void>)[] = []

  before(async () => {
    s = await startServer()
    const page = `<!doctype html><html><head><meta charset="utf-8"><title>Shop</title>
<script src="${s.url}/agent.js"></script></head><body><h1>Checkout</h1><script>
window.identify = () => Sightline.load({ apiKey: ${JSON.stringify(s.publicKey)}, endpoint: ${JSON.stringify(s.url)} })
  .then((a) => a.get())
const run = new URLSearchParams(location.search).get('report')
if (run) identify().then((r) => fetch('/report?run=' + run + '&requestId=' + r.requestId, { method: 'POST' }))
</script></body></html>`
    site = createServer((req, res) => {
      const u = new URL(req.url ?? '/', 'http://x')
      if (req.method === 'POST' && u.pathname === '/report') {
        reported.get(u.searchParams.get('run') ?? '')?.(u.searchParams.get('requestId') ?? '')
        return void res.writeHead(204).end()
      }
      if (u.pathname !== '/') return void res.writeHead(404).end()
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(page)
    })
    await new Promise<void>((r) => site.listen(0, '127.0.0.1', r))
    siteUrl = `http://localhost:${(site.address() as AddressInfo).port}/`
    xvfb = await startXvfb()
  })
  after(async () => {
    for (const c of cleanups.reverse()) await c().catch(() => {})
    await xvfb?.stop()
    site?.closeAllConnections()
    await new Promise((r) => (site ? site.close(r) : r(undefined)))
    await s?.close()
  })

  async function visit(requestId: string): Promise<Bot> {
    const res = await fetch(`${s.url}/v1/visits/${requestId}`, { headers: { Auth: s.secretKey } })
    assert.equal(res.status, 200)
    const v = (await res.json()) as { bot: Bot; visitorDetails: Record<string, unknown> }
    // The spec fields and the detail agree.
    assert.equal(v.visitorDetails.botProbability, v.bot.botProbability)
    assert.equal(v.visitorDetails.browserHeadless, v.bot.browserHeadless)
    return v.bot
  }

  /** One identification in a Playwright-driven Chromium with a fresh profile. */
  async function automated(opts: {
    headless: boolean
    args?: string[]
    userAgent?: string
    init?: string
    /** No viewport emulation: the page gets the real window. */
    realWindow?: boolean
    ignoreDefaultArgs?: string[]
  }): Promise<Bot> {
    const profile = mkdtempSync(path.join(tmpdir(), 'sightline-bots-'))
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: opts.headless,
      args: [...CHROMIUM_ARGS, ...(opts.args ?? [])],
      timeout: 30_000,
      ...(opts.userAgent ? { userAgent: opts.userAgent } : {}),
      ...(opts.realWindow ? { viewport: null } : {}),
      ...(opts.ignoreDefaultArgs ? { ignoreDefaultArgs: opts.ignoreDefaultArgs } : {}),
      ...(opts.headless ? {} : { env: { ...process.env, DISPLAY: xvfb.display } }),
    })
    const close = async () => {
      await context.close()
      rmSync(profile, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 })
    }
    cleanups.push(close)
    try {
      if (opts.init) await context.addInitScript(opts.init)
      const page = await context.newPage()
      const errors: Error[] = []
      page.on('pageerror', (e) => errors.push(e))
      await page.goto(siteUrl)
      const r = await page.evaluate(() => (window as any).identify())
      assert.deepEqual(errors, [], 'detection never breaks the page')
      return await visit(r.requestId)
    } finally {
      await close()
    }
  }

  const signals = (b: Bot) => b.reasons.map((r) => r.signal)

  it('1. plain headless Chromium: headless, ≥ 0.9', async (t) => {
    const b = await automated({ headless: true })
    t.diagnostic(JSON.stringify(b))
    assert.equal(b.browserHeadless, true)
    assert.ok(b.botProbability >= 0.9, JSON.stringify(b))
    assert.ok(signals(b).includes('headless_chrome'))
  })

  it('2. headless, ordinary Chrome UA, webdriver masked by an init script: ≥ 0.8', async (t) => {
    const b = await automated({ headless: true, userAgent: CHROME_UA, init: MASK_WEBDRIVER })
    t.diagnostic(JSON.stringify(b))
    assert.ok(b.botProbability >= 0.8, JSON.stringify(b))
    assert.ok(signals(b).includes('webdriver_tampered'), JSON.stringify(b))
    assert.ok(!signals(b).includes('headless_chrome'))
  })

  it('3. headless, --disable-blink-features=AutomationControlled, rewritten UA: ≥ 0.8', async (t) => {
    const b = await automated({
      headless: true,
      args: ['--disable-blink-features=AutomationControlled', `--user-agent=${CHROME_UA}`],
    })
    t.diagnostic(JSON.stringify(b))
    assert.ok(b.botProbability >= 0.8, JSON.stringify(b))
    assert.ok(!signals(b).includes('webdriver') && !signals(b).includes('webdriver_tampered'))
  })

  it('4. headful Chromium under Xvfb, driven by Playwright, webdriver masked: detected with its reasons', async (t) => {
    const b = await automated({ headless: false, init: MASK_WEBDRIVER })
    t.diagnostic(JSON.stringify(b))
    assert.ok(b.botProbability >= 0.8, JSON.stringify(b))
    assert.ok(signals(b).includes('webdriver_tampered'), JSON.stringify(b))
    assert.equal(b.browserHeadless, false, JSON.stringify(b))
  })

  /** A headful Chromium under Xvfb that nothing drives: no DevTools protocol, the page opened from the command line. */
  async function person(extraArgs: string[] = []): Promise<Bot> {
    const profile = mkdtempSync(path.join(tmpdir(), 'sightline-bots-human-'))
    const run = Math.random().toString(36).slice(2)
    const got = new Promise<string>((resolve, reject) => {
      reported.set(run, resolve)
      setTimeout(
        () => reject(new Error('the page did not report an identification within 60 s')),
        60_000,
      ).unref()
    })
    const child = spawn(
      CHROMIUM,
      [...CHROMIUM_ARGS, ...extraArgs, `--user-data-dir=${profile}`, `${siteUrl}?report=${run}`],
      {
        env: { ...process.env, DISPLAY: xvfb.display },
        stdio: 'ignore',
        detached: true, // its own process group: stopping it stops Chromium's helper processes too
      },
    )
    const stop = async () => {
      await stopChild(child)
      rmSync(profile, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 })
    }
    cleanups.push(stop)
    try {
      return await visit(await got)
    } finally {
      await stop()
    }
  }

  function assertPerson(b: Bot) {
    assert.ok(b.botProbability < 0.3, JSON.stringify(b))
    assert.equal(b.browserHeadless, false)
    assert.equal(b.browserSaysItsBot, false)
    assert.ok(!signals(b).includes('cdp_runtime'), JSON.stringify(b))
  }

  it('6. headful Chromium under Xvfb, fresh profile, no automation: a person (< 0.3, not headless)', async (t) => {
    const b = await person()
    t.diagnostic(JSON.stringify(b))
    assertPerson(b)
  })

  it('6b. the same with another window size and locale: a person', async (t) => {
    const b = await person(['--window-size=1024,700', '--lang=de-DE'])
    t.diagnostic(JSON.stringify(b))
    assertPerson(b)
  })

  // Flags removed and the UA spoofed consistently with the machine (no User-Agent contradiction), no
  // viewport emulation: what is left is the DevTools protocol itself.
  for (const stealth of [false, true]) {
    const label = stealth ? ', with stealth patches' : ''
    it(`7. new headless over CDP, automation flags off, Linux Chrome UA, real window${label}: ≥ 0.5`, async (t) => {
      const b = await automated({
        headless: true,
        args: [...AUTOMATION_OFF, `--user-agent=${CHROME_UA_LINUX}`],
        realWindow: true,
        ...(stealth ? { init: STEALTH } : {}),
      })
      t.diagnostic(JSON.stringify(b))
      assert.ok(b.botProbability >= 0.5, JSON.stringify(b))
      assert.ok(signals(b).includes('cdp_runtime'), JSON.stringify(b))
      for (const s of ['webdriver', 'webdriver_tampered', 'headless_chrome', 'ua_hints_mismatch'])
        assert.ok(!signals(b).includes(s), `${s}: ${JSON.stringify(b)}`)
    })

    it(`8. headful under Xvfb over CDP, no --enable-automation, flags off, Linux Chrome UA, real window${label}: ≥ 0.5`, async (t) => {
      const b = await automated({
        headless: false,
        args: AUTOMATION_OFF,
        userAgent: CHROME_UA_LINUX,
        realWindow: true,
        ignoreDefaultArgs: DROP_DEFAULT_ARGS,
        ...(stealth ? { init: STEALTH } : {}),
      })
      t.diagnostic(JSON.stringify(b))
      assert.ok(b.botProbability >= 0.5, JSON.stringify(b))
      assert.ok(signals(b).includes('cdp_runtime'), JSON.stringify(b))
      assert.ok(!signals(b).includes('webdriver') && !signals(b).includes('webdriver_tampered'))
      assert.equal(b.browserHeadless, false)
    })
  }
})
