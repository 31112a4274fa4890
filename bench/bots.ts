// Bot detection side by side with BotD (@fingerprintjs/botd, open source) in the same Debian Chromium runs:
// plain headless, disguised headless, automated headful under Xvfb, and a person's headful browser that
// nothing drives. Plus clients that skip the browser (no BotD there: it only runs in a page).
// `npm run bench:bots`. Needs /usr/bin/chromium and Xvfb; nothing leaves the machine.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, request, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { build } from 'esbuild'
import { chromium } from 'playwright-core'
import { CHROMIUM, CHROMIUM_ARGS, ROOT, startSightline } from './lib.js'

const ARGS = [
  ...CHROMIUM_ARGS,
  // Nothing leaves the machine, whatever a script tries: only 127.0.0.1 and localhost resolve.
  '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost',
]
const CHROME_UA =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36'
const MASK = `Object.defineProperty(Navigator.prototype, 'webdriver', { get: () => false, configurable: true })`

if (spawnSync('sh', ['-c', 'command -v Xvfb']).status !== 0) {
  console.error('bench:bots needs Xvfb for the headful scenarios: apt-get install xvfb')
  process.exit(1)
}

// BotD's ESM build as an IIFE (global BotD), served by the page server.
const botd = (
  await build({
    entryPoints: [path.join(ROOT, 'node_modules/@fingerprintjs/botd/dist/botd.esm.js')],
    bundle: true,
    format: 'iife',
    globalName: 'BotD',
    write: false,
    minify: true,
  })
).outputFiles[0]!.text

const sightline = await startSightline()
const reports = new Map<string, (r: PageResult) => void>()
interface PageResult {
  requestId?: string
  botd?: { bot: boolean; botKind?: string }
  error?: string
}
const page = `<!doctype html><html><head><meta charset="utf-8"><title>Shop</title>
<script src="${sightline.url}/agent.js"></script><script src="/botd.js"></script></head><body><h1>Checkout</h1><script>
const run = new URLSearchParams(location.search).get('run')
window.__done = Promise.all([
  Sightline.load({ apiKey: ${JSON.stringify(sightline.publicKey)}, endpoint: ${JSON.stringify(sightline.url)} }).then((a) => a.get()),
  BotD.load({ monitoring: false }).then((b) => b.detect()),
]).then(([r, d]) => ({ requestId: r.requestId, botd: d }), (e) => ({ error: String(e && e.message || e) }))
  .then((r) => { if (run) fetch('/report?run=' + run, { method: 'POST', body: JSON.stringify(r) }); return r })
</script></body></html>`
const site: Server = createServer((req, res) => {
  const u = new URL(req.url ?? '/', 'http://x')
  if (u.pathname === '/botd.js') return res.writeHead(200, { 'content-type': 'text/javascript' }).end(botd)
  if (req.method === 'POST' && u.pathname === '/report') {
    let b = ''
    req.on('data', (c) => (b += c))
    req.on('end', () => {
      reports.get(u.searchParams.get('run') ?? '')?.(JSON.parse(b))
      res.writeHead(204).end()
    })
    return
  }
  if (u.pathname !== '/') return res.writeHead(404).end()
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(page)
})
await new Promise<void>((r) => site.listen(0, '127.0.0.1', r))
const siteUrl = `http://localhost:${(site.address() as AddressInfo).port}/`

const xvfb = spawn('Xvfb', ['-displayfd', '3', '-screen', '0', '1920x1080x24', '-nolisten', 'tcp'], {
  stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
})
const display = await new Promise<string>((resolve, reject) => {
  let out = ''
  ;(xvfb.stdio[3] as NodeJS.ReadableStream).on('data', (c) => {
    out += c
    if (out.includes('\n')) resolve(`:${out.trim()}`)
  })
  xvfb.once('exit', (code) => reject(new Error(`Xvfb exited (${code})`)))
  setTimeout(() => reject(new Error('Xvfb did not start within 10 s')), 10_000).unref()
})

/** Signals a child, and its whole process group when it was spawned detached (Chromium's helpers). */
function signal(child: ChildProcess, sig: NodeJS.Signals) {
  try {
    if (child.pid && child.spawnargs[0] === CHROMIUM) process.kill(-child.pid, sig)
    else child.kill(sig)
  } catch {
    child.kill(sig)
  }
}

const stop = (child: ChildProcess) =>
  new Promise<void>((r) => {
    if (child.exitCode !== null || child.signalCode !== null) return r()
    const t = setTimeout(() => signal(child, 'SIGKILL'), 3000)
    child.once('exit', () => {
      clearTimeout(t)
      r()
    })
    signal(child, 'SIGTERM')
  })

interface Bot {
  browserSaysItsBot: boolean
  browserHeadless: boolean
  botProbability: number
  reasons: { signal: string; weight: number }[]
  replayOf?: string
}
async function ours(requestId: string): Promise<Bot> {
  const res = await fetch(`${sightline.url}/v1/visits/${requestId}`, {
    headers: { Auth: sightline.secretKey },
  })
  return ((await res.json()) as { bot: Bot }).bot
}

async function automated(o: { headless: boolean; args?: string[]; userAgent?: string; init?: string }) {
  const profile = mkdtempSync(path.join(tmpdir(), 'sightline-bench-bots-'))
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: o.headless,
    args: [...ARGS, ...(o.args ?? [])],
    timeout: 30_000,
    ...(o.userAgent ? { userAgent: o.userAgent } : {}),
    ...(o.headless ? {} : { env: { ...process.env, DISPLAY: display } }),
  })
  try {
    if (o.init) await context.addInitScript(o.init)
    const p = await context.newPage()
    await p.goto(siteUrl)
    return (await p.evaluate(() => (window as any).__done)) as PageResult
  } finally {
    await context.close()
    rmSync(profile, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 })
  }
}

async function person(): Promise<PageResult> {
  const profile = mkdtempSync(path.join(tmpdir(), 'sightline-bench-bots-'))
  const run = Math.random().toString(36).slice(2)
  const got = new Promise<PageResult>((resolve, reject) => {
    reports.set(run, resolve)
    setTimeout(() => reject(new Error('the page did not report within 60 s')), 60_000).unref()
  })
  const child = spawn(CHROMIUM, [...ARGS, `--user-data-dir=${profile}`, `${siteUrl}?run=${run}`], {
    env: { ...process.env, DISPLAY: display },
    stdio: 'ignore',
    detached: true, // its own process group: stopping it stops Chromium's helper processes too
  })
  try {
    return await got
  } finally {
    await stop(child)
    rmSync(profile, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 })
  }
}

/** Posts a body to the ingest endpoint as a non-browser client would (node:http: no default User-Agent). */
function raw(body: unknown, ua: string | null): Promise<string> {
  const headers: Record<string, string> = { 'content-type': 'text/plain' }
  if (ua !== null) headers['user-agent'] = ua
  return new Promise((resolve, reject) => {
    const req = request(`${sightline.url}/v1/identify`, { method: 'POST', headers }, (res) => {
      let t = ''
      res.on('data', (c) => (t += c))
      res.on('end', () => resolve((JSON.parse(t) as { requestId: string }).requestId))
    })
    req.on('error', reject)
    req.end(JSON.stringify(body))
  })
}

const rows: string[] = []
const verdict = (b: Bot) => (b.botProbability >= 0.5 ? 'bot' : 'human')
const top = (b: Bot) =>
  [...b.reasons]
    .sort((x, y) => y.weight - x.weight)
    .slice(0, 4)
    .map((r) => `${r.signal} ${r.weight}`)
    .join(', ')
async function browserRow(name: string, expectBot: boolean, r: PageResult) {
  if (r.error || !r.requestId) throw new Error(`${name}: ${r.error ?? 'no requestId'}`)
  const b = await ours(r.requestId)
  const d = r.botd?.bot ? `bot (${r.botd.botKind})` : 'human'
  const ok = (verdict(b) === 'bot') === expectBot ? '✓' : '✗'
  rows.push(
    `| ${name} | ${expectBot ? 'bot' : 'human'} | ${d} | ${verdict(b)} ${ok} | ${b.botProbability} | ${b.browserHeadless} | ${top(b)} |`,
  )
}

try {
  await browserRow('1. headless Chromium', true, await automated({ headless: true }))
  await browserRow(
    '2. headless, Chrome UA, webdriver masked',
    true,
    await automated({ headless: true, userAgent: CHROME_UA, init: MASK }),
  )
  await browserRow(
    '3. headless, AutomationControlled off, --user-agent',
    true,
    await automated({
      headless: true,
      args: ['--disable-blink-features=AutomationControlled', `--user-agent=${CHROME_UA}`],
    }),
  )
  await browserRow(
    '4. headful (Xvfb) + Playwright, webdriver masked',
    true,
    await automated({ headless: false, init: MASK }),
  )
  await browserRow('6. headful (Xvfb), no automation (a person)', false, await person())

  // 5. Clients that skip the browser: BotD never runs (n/a).
  let n = 0
  // Each client's own body (another URL): a repeat of an earlier body would be a replay.
  const body = (components: Record<string, unknown>) => ({
    apiKey: sightline.publicKey,
    url: `https://shop.example/${++n}`,
    components,
  })
  const direct = async (name: string, id: string) => {
    const b = await ours(id)
    rows.push(
      `| ${name} | bot | n/a (no page) | ${verdict(b)} ${verdict(b) === 'bot' ? '✓' : '✗'} | ${b.botProbability} | ${b.browserHeadless} | ${top(b)} |`,
    )
    return b
  }
  await direct('5a. curl, empty components', await raw(body({}), 'curl/8.5.0'))
  await direct(
    '5b. python-requests',
    await raw(
      body({ userAgent: { value: 'python-requests/2.31.0', duration: 0 } }),
      'python-requests/2.31.0',
    ),
  )
  await direct('5c. no User-Agent at all', await raw(body({ userAgent: { value: '', duration: 0 } }), null))
  // 5d. A person's real payload (from run 6's collection shape), posted again by a script.
  const human = await person()
  const visit = (await (
    await fetch(`${sightline.url}/v1/visits/${human.requestId}`, { headers: { Auth: sightline.secretKey } })
  ).json()) as { components: Record<string, unknown> }
  const replayed = await direct(
    '5d. replay of a real browser payload',
    await raw(
      { ...body(visit.components), url: siteUrl },
      CHROME_UA.replace('Windows NT 10.0; Win64; x64', 'X11; Linux x86_64'),
    ),
  )
  if (!replayed.replayOf) rows.push('| (5d: the replay was NOT recognised) | | | | | | |')
} finally {
  await stop(xvfb)
  site.closeAllConnections()
  site.close()
  await sightline.stop()
}

console.log(
  `\nChromium ${spawnSync(CHROMIUM, ['--version']).stdout.toString().trim()}; BotD ${botdVersion()}\n`,
)
console.log(
  '| scenario | truth | BotD | ours (≥ 0.5 = bot) | our botProbability | our browserHeadless | our top reasons |',
)
console.log('| --- | --- | --- | --- | ---: | --- | --- |')
for (const r of rows) console.log(r)

function botdVersion() {
  try {
    return (
      JSON.parse(
        spawnSync('cat', [
          path.join(ROOT, 'node_modules/@fingerprintjs/botd/package.json'),
        ]).stdout.toString(),
      ) as { version: string }
    ).version
  } catch {
    return '?'
  }
}
