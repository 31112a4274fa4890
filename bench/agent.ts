// Browser agents compared in headless Debian Chromium: time from navigation start to identifier (cold and
// warm), script size, identifier stability. `npm run bench:agent` (env BENCH_RUNS: runs per case, default 100;
// BENCH_AGENT_BASELINE=FILE adds an earlier build of our agent as the row `oursBaseline`, timed in the same runs).
import { readFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import os from 'node:os'
import { gzipSync } from 'node:zlib'
import { type Browser, chromium } from 'playwright-core'
import { CHROMIUM, CHROMIUM_ARGS, fmt, ROOT, startSightline } from './lib.js'

const RUNS = Number(process.env.BENCH_RUNS) || 100
const ARGS = [
  ...CHROMIUM_ARGS,
  // Nothing leaves the machine, whatever a script tries: only 127.0.0.1 resolves.
  '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
]

const file = (p: string) => readFileSync(`${ROOT}${p}`)
const BASELINE = process.env.BENCH_AGENT_BASELINE
const ALL = ['ours', 'fingerprintjs', 'fingerprintjsNoDelay', 'thumbmarkjs', 'oursBaseline'] as const
type Name = (typeof ALL)[number]
const scripts: Partial<Record<Name, Buffer>> = {
  ours: file('packages/agent/dist/agent.js'),
  fingerprintjs: file('node_modules/@fingerprintjs/fingerprintjs/dist/fp.min.js'),
  // The same script, loaded with `delayFallback: 0` (see its page below).
  fingerprintjsNoDelay: file('node_modules/@fingerprintjs/fingerprintjs/dist/fp.min.js'),
  thumbmarkjs: file('node_modules/@thumbmarkjs/thumbmarkjs/dist/thumbmark.umd.js'),
  // An earlier build of our agent (another commit's packages/agent/dist/agent.js), against the same server.
  ...(BASELINE ? { oursBaseline: readFileSync(BASELINE) } : {}),
}
const NAMES = ALL.filter((n) => scripts[n])

type Result = { id: string; t: number; s: number; req: number }

const sightline = await startSightline()

/**
 * Each page reports `{id, t, s, req}` (t: ms since navigation start) or `{error}` with a beacon to the page's
 * own server. The harness evaluates nothing in the page while an agent runs: Playwright's waitForFunction
 * injects and compiles its utility script (~330 KB) on the page's main thread at the load event, which
 * landed inside whichever agent was still collecting then.
 */
const done = `const s = performance.now()
const report = (r) => navigator.sendBeacon('/result', JSON.stringify(r))
const done = (id) => {
  const req = performance.getEntriesByType('resource').find((e) => e.name.endsWith('/v1/identify'))
  report({ id, t: performance.now(), s, req: req ? req.responseEnd - req.startTime : 0 })
}
const fail = (e) => report({ error: String(e && e.message || e) })`
const oursPage = (src: string) => `<script src="${src}"></script><script>${done}
Sightline.load({ apiKey: ${JSON.stringify(sightline.publicKey)}, endpoint: ${JSON.stringify(sightline.url)} })
  .then((a) => a.get()).then((r) => done(r.visitorId), fail)</script>`
const pages: Record<Name, string> = {
  // Ours comes from the Sightline server and identifies against it: the round trip is included.
  ours: oursPage(`${sightline.url}/agent.js`),
  // The baseline build comes from the page's own server (like the peers' scripts) and identifies against ours.
  oursBaseline: oursPage('/oursBaseline.js'),
  fingerprintjs: `<script src="/fingerprintjs.js"></script><script>${done}
FingerprintJS.load({ monitoring: false }).then((a) => a.get()).then((r) => done(r.visitorId), fail)</script>`,
  // load() first waits for an idle moment (requestIdleCallback with a deadline of 2 × delayFallback, 50 ms by
  // default) before collecting. With 0, Chromium's requestIdleCallback gets no deadline (a timeout of 0 is
  // none): it still waits for the first idle period, but never for a timer.
  fingerprintjsNoDelay: `<script src="/fingerprintjsNoDelay.js"></script><script>${done}
FingerprintJS.load({ monitoring: false, delayFallback: 0 }).then((a) => a.get()).then((r) => done(r.visitorId), fail)</script>`,
  // logging: false turns off ThumbmarkJS's sampled remote log; without api_key it calls no API.
  thumbmarkjs: `<script src="/thumbmarkjs.js"></script><script>${done}
ThumbmarkJS.getThumbmark({ logging: false }).then((r) => done(r.thumbmark), fail)</script>`,
}

/** The page's beacon resolves the visit waiting for it (one page at a time). */
let reported: ((r: Result & { error?: string }) => void) | null = null
const site: Server = createServer((req, res) => {
  if (req.method === 'POST' && req.url === '/result') {
    let body = ''
    req.on('data', (c) => {
      body += c
    })
    req.on('end', () => {
      res.writeHead(204).end()
      const r = reported
      reported = null
      r?.(JSON.parse(body))
    })
    return
  }
  const name = req.url!.slice(1).replace(/\.js$/, '') as Name
  if (req.url!.endsWith('.js') && scripts[name])
    return res
      .writeHead(200, { 'content-type': 'text/javascript', 'cache-control': 'public, max-age=600' })
      .end(scripts[name])
  if (!pages[name]) return res.writeHead(404).end()
  res
    .writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
    .end(`<!doctype html><html><head><meta charset="utf-8"><title>${name}</title></head><body>
<h1>Checkout</h1><p>Some text.</p>${pages[name]}</body></html>`)
})
await new Promise<void>((r) => site.listen(0, '127.0.0.1', r))
// Another origin than the Sightline server's (another port), as on a customer's site.
const siteUrl = `http://127.0.0.1:${(site.address() as AddressInfo).port}`

const launch = () => chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS })

async function visit(page: import('playwright-core').Page, name: Name, reload = false): Promise<Result> {
  let timer: NodeJS.Timeout | undefined
  const result = new Promise<Result & { error?: string }>((resolve, reject) => {
    reported = resolve
    timer = setTimeout(() => reject(new Error(`${name}: no result in 20 s`)), 20_000)
  })
  try {
    if (reload) await page.reload({ waitUntil: 'commit' })
    else await page.goto(`${siteUrl}/${name}`, { waitUntil: 'commit' })
    const r = await result
    if (r.error || !r.id) throw new Error(`${name}: ${r.error ?? 'no identifier'}`)
    return r
  } finally {
    clearTimeout(timer)
  }
}

const median = (a: number[]) => {
  const s = [...a].sort((x, y) => x - y)
  return s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2
}
const p95 = (a: number[]) =>
  [...a].sort((x, y) => x - y)[Math.min(a.length - 1, Math.ceil(a.length * 0.95) - 1)]!

const perAgent = <T>(): Record<Name, T[]> =>
  Object.fromEntries(ALL.map((n) => [n, [] as T[]])) as Record<Name, T[]>
const cold = perAgent<number>()
const warm = perAgent<number>()
const stable = perAgent<string>()
/** Warm: when the agent's script had run (ms since navigation start), and ours' identify request. */
const ready = perAgent<number>()
const request: number[] = []

let browser: Browser = await launch()
const version = browser.version()
try {
  // Timing: for each run, every agent (in rotating order) gets a fresh context: goto = cold, reload = warm.
  for (let run = -1; run < RUNS; run++) {
    for (let k = 0; k < NAMES.length; k++) {
      const name = NAMES[(run + NAMES.length + k) % NAMES.length]!
      const context = await browser.newContext()
      const page = await context.newPage()
      const a = await visit(page, name)
      const b = await visit(page, name, true)
      if (run >= 0) {
        // run -1 warms up the browser process and the server
        cold[name].push(a.t)
        warm[name].push(b.t)
        ready[name].push(b.s)
        if (name === 'ours') request.push(b.req)
      }
      await context.close()
    }
  }

  // Stability: 10 reloads in one context, then 3 fresh contexts, then 2 browser restarts.
  const ids = Object.fromEntries(ALL.map((n) => [n, new Set<string>()])) as Record<Name, Set<string>>
  for (const name of NAMES) {
    const context = await browser.newContext()
    const page = await context.newPage()
    ids[name].add((await visit(page, name)).id)
    for (let i = 0; i < 10; i++) ids[name].add((await visit(page, name, true)).id)
    await context.close()
    for (let i = 0; i < 3; i++) {
      const c = await browser.newContext()
      ids[name].add((await visit(await c.newPage(), name)).id)
      await c.close()
    }
  }
  for (let restart = 0; restart < 2; restart++) {
    await browser.close()
    browser = await launch()
    for (const name of NAMES) {
      const c = await browser.newContext()
      ids[name].add((await visit(await c.newPage(), name)).id)
      await c.close()
    }
  }
  for (const name of NAMES) stable[name] = [...ids[name]]
} finally {
  await browser.close()
  site.closeAllConnections()
  site.close()
  await sightline.stop()
}

const gz = (b: Buffer) => gzipSync(b, { level: 9 }).length / 1024
const ref = {
  cold: median(cold.fingerprintjs),
  warm: median(warm.fingerprintjs),
  size: gz(scripts.fingerprintjs!),
}
const ref0 = { cold: median(cold.fingerprintjsNoDelay), warm: median(warm.fingerprintjsNoDelay) }
const ratio = (v: number, r: number) => `${(v / r).toFixed(2)}×`

console.log(
  `\n${RUNS} runs per case; Chromium ${version} headless on ${os.cpus().length} CPUs (${os.cpus()[0]?.model.trim()}), load ${os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}\n`,
)
console.log(
  '| agent | cold median ms | cold p95 ms | warm median ms | warm p95 ms | warm vs FPJS default load() | warm vs FPJS delayFallback 0 | gzip KB | size vs FPJS | distinct ids (10 reloads, 3 contexts, 2 restarts) |',
)
console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |')
for (const name of NAMES) {
  const size = gz(scripts[name]!)
  const n = stable[name].length
  console.log(
    `| ${name} | ${fmt(median(cold[name]))} | ${fmt(p95(cold[name]))} | ${fmt(median(warm[name]))} | ${fmt(p95(warm[name]))} | ${ratio(median(warm[name]), ref.warm)} | ${ratio(median(warm[name]), ref0.warm)} | ${fmt(size, 2)} | ${ratio(size, ref.size)} | ${n === 1 ? '1 (stable)' : `${n} (UNSTABLE)`} |`,
  )
}
console.log(
  `\nwarm medians: script ready at ${NAMES.map((n) => `${n} ${fmt(median(ready[n]))}`).join(', ')} ms; our identify request ${fmt(median(request))} ms`,
)
console.log(
  `\ncold: first load in a fresh context; warm: reload in the same context. Cold vs FPJS for ours: ${ratio(median(cold.ours), ref.cold)} (default load()), ${ratio(median(cold.ours), ref0.cold)} (delayFallback 0).`,
)

/**
 * How far the warm ratio moves with the sample: runs are resampled as pairs (each run times every agent
 * back to back, under the same machine load), 2,000 times, with a fixed seed.
 */
function ratioInterval(a: number[], b: number[], level = 0.9): [number, number] {
  let seed = 42
  const random = () => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0
    return seed / 2 ** 32
  }
  const ratios: number[] = []
  for (let i = 0; i < 2000; i++) {
    const picks = a.map(() => Math.floor(random() * a.length))
    ratios.push(median(picks.map((k) => a[k]!)) / median(picks.map((k) => b[k]!)))
  }
  ratios.sort((x, y) => x - y)
  const tail = (1 - level) / 2
  return [ratios[Math.floor(tail * ratios.length)]!, ratios[Math.ceil((1 - tail) * ratios.length) - 1]!]
}
const subjects: [Name, string][] = [
  ['ours', 'ours'],
  ...(BASELINE ? [['oursBaseline', 'the baseline build'] as [Name, string]] : []),
]
for (const [name, who] of subjects) {
  for (const [peer, label] of [
    ['fingerprintjs', 'default load()'],
    ['fingerprintjsNoDelay', 'load({ delayFallback: 0 })'],
  ] as const) {
    const [low, high] = ratioInterval(warm[name], warm[peer])
    console.log(
      `Warm vs FPJS ${label} for ${who}: ${ratio(median(warm[name]), median(warm[peer]))}, 90% bootstrap interval over the ${RUNS} paired runs ${low.toFixed(2)}–${high.toFixed(2)}×.`,
    )
  }
}
if (BASELINE) {
  const [low, high] = ratioInterval(warm.ours, warm.oursBaseline)
  console.log(
    `Warm ours vs the baseline build (${BASELINE}): ${ratio(median(warm.ours), median(warm.oursBaseline))}, 90% interval ${low.toFixed(2)}–${high.toFixed(2)}×; cold ${ratio(median(cold.ours), median(cold.oursBaseline))}.`,
  )
}
