// Per-source durations in headless Chromium: `npm run build -w @sightline/agent && node --import tsx packages/agent/test/measure.ts`
import { chromium } from 'playwright-core'
import { close, startSite } from './serve.js'

const site = await startSite()
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  headless: true,
  args: [
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--no-first-run',
  ],
})
const durations: Record<string, number[]> = {}
const first: number[] = []
const later: number[] = []
for (let p = 0; p < 5; p++) {
  const page = await browser.newPage()
  await page.goto(site.url)
  for (let i = 0; i < 4; i++) {
    const { c, t } = await page.evaluate(async () => {
      const start = performance.now()
      const c = await Sightline.collect()
      return { c, t: Math.round(performance.now() - start) }
    })
    ;(i ? later : first).push(t)
    for (const [name, entry] of Object.entries(c)) {
      durations[name] ??= []
      durations[name].push(entry.duration)
    }
  }
  await page.close()
}
const median = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1]
console.log(`collect(): first on a page ${first.join(', ')} ms; later median ${median(later)} ms`)
for (const [name, d] of Object.entries(durations))
  console.log(`${name.padEnd(20)} median ${median(d)} ms, max ${Math.max(...d)} ms`)
await browser.close()
await close(site.server)

declare const Sightline: typeof import('../src/index.js')
