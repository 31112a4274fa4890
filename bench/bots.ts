// Bot detection side by side with BotD (@fingerprintjs/botd, open source) in the same Debian Chromium runs:
// plain headless, disguised headless, automated headful under Xvfb, Chromium driven over the DevTools
// protocol with its automation flags removed (with and without stealth patches), and people's headful
// browsers that nothing drives. Plus clients that skip the browser (no BotD there: it only runs in a page).
// Every scenario runs BENCH_RUNS times (default 5); the table gives the range of our score and how many
// runs each detector called a bot, then the detection and false-positive rates.
// `npm run bench:bots`. Needs /usr/bin/chromium and Xvfb; nothing leaves the machine.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, request, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { build } from 'esbuild'
import { chromium } from 'playwright-core'
import {
  AUTOMATION_OFF,
  CHROME_UA_WINDOWS as CHROME_UA,
  CHROME_UA_LINUX,
  DROP_DEFAULT_ARGS,
  MASK_WEBDRIVER as MASK,
  STEALTH,
} from '../packages/server/test/bot-scenarios.js'
import { CHROMIUM, CHROMIUM_ARGS, ROOT, startSightline } from './lib.js'

const ARGS = [
  ...CHROMIUM_ARGS,
  // Nothing leaves the machine, whatever a script tries: only 127.0.0.1 and localhost resolve.
  '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost',
]
const RUNS = Math.max(1, Number(process.env.BENCH_RUNS ?? 5))

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

async function automated(o: {
  headless: boolean
  args?: string[]
  userAgent?: string
  init?: string
  /** No viewport emulation: the page gets the real window. */
  realWindow?: boolean
  ignoreDefaultArgs?: string[]
}) {
  const profile = mkdtempSync(path.join(tmpdir(), 'sightline-bench-bots-'))
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: o.headless,
    args: [...ARGS, ...(o.args ?? [])],
    timeout: 30_000,
    ...(o.userAgent ? { userAgent: o.userAgent } : {}),
    ...(o.realWindow ? { viewport: null } : {}),
    ...(o.ignoreDefaultArgs ? { ignoreDefaultArgs: o.ignoreDefaultArgs } : {}),
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

/** A headful Chromium under Xvfb that nothing drives: no DevTools protocol, the page opened from the command line. */
async function person(extraArgs: string[] = []): Promise<PageResult> {
  const profile = mkdtempSync(path.join(tmpdir(), 'sightline-bench-bots-'))
  const run = Math.random().toString(36).slice(2)
  const got = new Promise<PageResult>((resolve, reject) => {
    reports.set(run, resolve)
    setTimeout(() => reject(new Error('the page did not report within 60 s')), 60_000).unref()
  })
  const child = spawn(
    CHROMIUM,
    [...ARGS, ...extraArgs, `--user-data-dir=${profile}`, `${siteUrl}?run=${run}`],
    {
      env: { ...process.env, DISPLAY: display },
      stdio: 'ignore',
      detached: true, // its own process group: stopping it stops Chromium's helper processes too
    },
  )
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

interface Outcome {
  bot: Bot
  /** BotD's verdict; absent for clients without a page. */
  botd?: { bot: boolean; botKind?: string }
}
interface Scenario {
  name: string
  truth: 'bot' | 'human'
  run(): Promise<Outcome>
}

async function inPage(r: PageResult | Promise<PageResult>): Promise<Outcome> {
  const p = await r
  if (p.error || !p.requestId) throw new Error(p.error ?? 'no requestId')
  return { bot: await ours(p.requestId), ...(p.botd ? { botd: p.botd } : {}) }
}
const direct = async (id: string | Promise<string>): Promise<Outcome> => ({ bot: await ours(await id) })

let n = 0
// Each client's own body (another URL): a repeat of an earlier body would be a replay.
const body = (components: Record<string, unknown>) => ({
  apiKey: sightline.publicKey,
  url: `https://shop.example/${++n}`,
  components,
})
/** A person's real payload (from a run of scenario 6), for the replay scenario. */
let humanComponents: Record<string, unknown> | null = null
async function humanPayload() {
  if (humanComponents) return humanComponents
  const h = await person()
  const visit = (await (
    await fetch(`${sightline.url}/v1/visits/${h.requestId}`, { headers: { Auth: sightline.secretKey } })
  ).json()) as { components: Record<string, unknown> }
  humanComponents = visit.components
  return humanComponents
}

const scenarios: Scenario[] = [
  { name: '1. headless Chromium', truth: 'bot', run: () => inPage(automated({ headless: true })) },
  {
    name: '2. headless, Chrome UA, webdriver masked',
    truth: 'bot',
    run: () => inPage(automated({ headless: true, userAgent: CHROME_UA, init: MASK })),
  },
  {
    name: '3. headless, AutomationControlled off, --user-agent (Windows)',
    truth: 'bot',
    run: () => inPage(automated({ headless: true, args: [...AUTOMATION_OFF, `--user-agent=${CHROME_UA}`] })),
  },
  {
    name: '3b. headless, AutomationControlled off, Linux UA by Playwright',
    truth: 'bot',
    run: () => inPage(automated({ headless: true, args: AUTOMATION_OFF, userAgent: CHROME_UA_LINUX })),
  },
  {
    name: '4. headful (Xvfb) + Playwright, webdriver masked',
    truth: 'bot',
    run: () => inPage(automated({ headless: false, init: MASK })),
  },
  ...[false, true].flatMap((stealth): Scenario[] => {
    const label = stealth ? ', stealth patches' : ''
    const init = stealth ? { init: STEALTH } : {}
    return [
      {
        name: `7${stealth ? 's' : ''}. new headless over CDP, flags off, Linux UA, real window${label}`,
        truth: 'bot',
        run: () =>
          inPage(
            automated({
              headless: true,
              args: [...AUTOMATION_OFF, `--user-agent=${CHROME_UA_LINUX}`],
              realWindow: true,
              ...init,
            }),
          ),
      },
      {
        name: `8${stealth ? 's' : ''}. headful (Xvfb) over CDP, no --enable-automation, flags off, Linux UA, real window${label}`,
        truth: 'bot',
        run: () =>
          inPage(
            automated({
              headless: false,
              args: AUTOMATION_OFF,
              userAgent: CHROME_UA_LINUX,
              realWindow: true,
              ignoreDefaultArgs: DROP_DEFAULT_ARGS,
              ...init,
            }),
          ),
      },
    ]
  }),
  { name: '5a. curl, empty components', truth: 'bot', run: () => direct(raw(body({}), 'curl/8.5.0')) },
  {
    name: '5b. python-requests',
    truth: 'bot',
    run: () =>
      direct(
        raw(body({ userAgent: { value: 'python-requests/2.31.0', duration: 0 } }), 'python-requests/2.31.0'),
      ),
  },
  {
    name: '5c. no User-Agent at all',
    truth: 'bot',
    run: () => direct(raw(body({ userAgent: { value: '', duration: 0 } }), null)),
  },
  {
    name: "5d. replay of a person's payload",
    truth: 'bot',
    run: async () => {
      const o = await direct(
        raw(
          { ...body(await humanPayload()), url: siteUrl },
          CHROME_UA.replace('Windows NT 10.0; Win64; x64', 'X11; Linux x86_64'),
        ),
      )
      if (!o.bot.replayOf) throw new Error('the replay was not recognised')
      return o
    },
  },
  { name: '6. headful (Xvfb), no automation (a person)', truth: 'human', run: () => inPage(person()) },
  {
    name: '6b. headful (Xvfb), no automation, 1024×700 window, de-DE',
    truth: 'human',
    run: () => inPage(person(['--window-size=1024,700', '--lang=de-DE'])),
  },
]

interface Tally {
  scenario: Scenario
  outcomes: Outcome[]
}
const tallies: Tally[] = []
try {
  for (const scenario of scenarios) {
    const outcomes: Outcome[] = []
    for (let i = 0; i < RUNS; i++) {
      try {
        outcomes.push(await scenario.run())
      } catch (e) {
        throw new Error(`${scenario.name}, run ${i + 1}: ${(e as Error).message}`)
      }
    }
    tallies.push({ scenario, outcomes })
    process.stderr.write(`${scenario.name}: done\n`)
  }
} finally {
  await stop(xvfb)
  site.closeAllConnections()
  site.close()
  await sightline.stop()
}

const isBot = (b: Bot) => b.botProbability >= 0.5
const count = (xs: boolean[]) => xs.filter(Boolean).length
/** Signals present in every run first, then those in some runs (with how many). */
function reasons(outcomes: Outcome[]) {
  const seen = new Map<string, { weight: number; runs: number }>()
  for (const o of outcomes)
    for (const r of o.bot.reasons) {
      const s = seen.get(r.signal) ?? { weight: r.weight, runs: 0 }
      s.runs++
      seen.set(r.signal, s)
    }
  return [...seen]
    .sort((a, b) => b[1].weight - a[1].weight)
    .slice(0, 5)
    .map(
      ([name, s]) =>
        `${name} ${s.weight}${s.runs < outcomes.length ? ` (${s.runs}/${outcomes.length})` : ''}`,
    )
    .join(', ')
}

console.log(
  `\nChromium ${spawnSync(CHROMIUM, ['--version']).stdout.toString().trim()}; BotD ${botdVersion()}; ${RUNS} runs per scenario\n`,
)
console.log(
  '| scenario | truth | BotD: runs called bot | ours: runs called bot (≥ 0.5) | our botProbability, min – max | our browserHeadless | our top reasons |',
)
console.log('| --- | --- | --- | --- | --- | --- | --- |')
for (const { scenario, outcomes } of tallies) {
  const ps = outcomes.map((o) => o.bot.botProbability)
  const [lo, hi] = [Math.min(...ps), Math.max(...ps)]
  const botd = outcomes.every((o) => o.botd)
    ? `${count(outcomes.map((o) => o.botd!.bot))}/${outcomes.length}${[...new Set(outcomes.flatMap((o) => (o.botd?.botKind ? [o.botd.botKind] : [])))].map((k) => ` (${k})`).join('')}`
    : 'n/a (no page)'
  const headless = [...new Set(outcomes.map((o) => o.bot.browserHeadless))].join('/')
  console.log(
    `| ${scenario.name} | ${scenario.truth} | ${botd} | ${count(outcomes.map((o) => isBot(o.bot)))}/${outcomes.length} | ${lo === hi ? lo : `${lo} – ${hi}`} | ${headless} | ${reasons(outcomes)} |`,
  )
}

/** Detection rate over bot runs and false-positive rate over person runs, for one detector. */
function rates(pick: (t: Tally) => boolean, verdict: (o: Outcome) => boolean | undefined) {
  const runs = (truth: 'bot' | 'human') =>
    tallies.filter((t) => t.scenario.truth === truth && pick(t)).flatMap((t) => t.outcomes.map(verdict))
  const fmt = (xs: (boolean | undefined)[]) =>
    xs.length
      ? `${count(xs.map(Boolean))}/${xs.length} (${Math.round((count(xs.map(Boolean)) / xs.length) * 100)} %)`
      : 'n/a'
  return `${fmt(runs('bot'))} | ${fmt(runs('human'))}`
}
const inBrowser = (t: Tally) => t.outcomes.every((o) => o.botd)
console.log(
  '\n| detector | detection rate (bot runs called bot) | false-positive rate (person runs called bot) |',
)
console.log('| --- | --- | --- |')
console.log(
  `| Sightline, all scenarios | ${rates(
    () => true,
    (o) => isBot(o.bot),
  )} |`,
)
console.log(`| Sightline, browser scenarios | ${rates(inBrowser, (o) => isBot(o.bot))} |`)
console.log(`| BotD, browser scenarios | ${rates(inBrowser, (o) => o.botd?.bot)} |`)

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
