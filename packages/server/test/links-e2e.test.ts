import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { type Browser, type BrowserContextOptions, chromium } from 'playwright-core'
import { CHROMIUM, CHROMIUM_ARGS, servePage } from './browser.js'
import { DIALECTS, dialectName, startServer, type TestServer } from './helpers.js'

// Probable links in real Chromium, on both databases: the real agent, the real server, a fresh
// context per browser (no storage), each on its own address (X-Forwarded-For, trusted here).
const BASE: BrowserContextOptions = {
  viewport: { width: 1280, height: 720 },
  screen: { width: 1920, height: 1080 },
  deviceScaleFactor: 1,
  timezoneId: 'Europe/Berlin',
  locale: 'de-DE',
}

interface Candidate {
  visitorId: string
  probability: number
  reasons: string[]
}
interface Outcome {
  requestId: string
  visitorId: string
  confidence: { score: number }
}

for (const dialect of DIALECTS) {
  describe(`probable links in Chromium (${dialectName(dialect)})`, () => {
    let s: TestServer
    let site: Awaited<ReturnType<typeof servePage>>
    let browser: Browser
    let nextIp = 0

    before(async () => {
      s = await startServer({ trustProxy: true }, {}, { dialect })
      site =
        await servePage(`<!doctype html><html><head><script src="${s.url}/agent.js"></script></head><body>
<script>
window.identify = () =>
  Sightline.load({ apiKey: ${JSON.stringify(s.publicKey)}, endpoint: ${JSON.stringify(s.url)} })
    .then((agent) => agent.get()).catch((e) => ({ error: e.message }))
</script></body></html>`)
      browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS })
    })
    after(async () => {
      await browser?.close()
      await site?.close()
      await s?.close()
    })

    /** A browser with nothing stored, on an address no one used before. */
    async function visit(
      options: BrowserContextOptions = {},
    ): Promise<Outcome & { candidates: Candidate[] }> {
      const context = await browser.newContext({ ...BASE, ...options })
      try {
        const ip = `${81 + (nextIp % 50)}.${(nextIp * 37) % 250}.${nextIp++}.10`
        const page = await context.newPage()
        await page.route(`${s.url}/v1/identify`, (route) =>
          route.continue({ headers: { ...route.request().headers(), 'x-forwarded-for': ip } }),
        )
        await page.goto(site.url)
        const r = (await page.evaluate(() => (window as any).identify())) as Outcome & { error?: string }
        assert.ok(r.visitorId, `identified: ${JSON.stringify(r)}`)
        const res = await fetch(`${s.url}/v1/visits/${r.requestId}`, { headers: { Auth: s.secretKey } })
        assert.equal(res.status, 200)
        const v = (await res.json()) as { identification: { candidates?: Candidate[] } }
        assert.ok(Array.isArray(v.identification.candidates), 'a storage-less visit has candidates')
        return { ...r, candidates: v.identification.candidates! }
      } finally {
        await context.close()
      }
    }

    let first: string
    it('a browser whose storage was cleared, on a network it never used, gets a candidate naming it', async () => {
      const before = await visit()
      first = before.visitorId
      assert.deepEqual(before.candidates, [])
      const again = await visit()
      // The visitorId stays strict (another address: may be an identical device)...
      const named = again.candidates.find((c) => c.visitorId === first)
      // ...but the owner learns who it probably is, why, and how sure that is.
      assert.ok(named, `candidates: ${JSON.stringify(again.candidates)}`)
      assert.equal(again.candidates[0], named, 'the most probable one')
      // Its size is the fitted model's (identify/links.ts): an exact match from another network is
      // often an identical device in the populations it was fitted on.
      assert.ok(named.probability > 0 && named.probability < 1, `probability ${named.probability}`)
      assert.ok(named.reasons.includes('same fingerprint'), named.reasons.join('; '))
      assert.ok(named.reasons.some((r) => /other network/.test(r)))
      // The Server API events carry the same candidates (v4: snake_case).
      const ev = await fetch(`${s.url}/v4/events/${again.requestId}`, {
        headers: { Authorization: `Bearer ${s.secretKey}` },
      })
      assert.equal(ev.status, 200)
      const e = (await ev.json()) as {
        identification: { candidates: { visitor_id: string; probability: number }[] }
      }
      assert.ok(
        e.identification.candidates.some(
          (c) => c.visitor_id === first && c.probability === named.probability,
        ),
      )
    })

    it('five devices that differ as devices do keep five ids, none a probable candidate of another', async () => {
      const devices: BrowserContextOptions[] = [
        { screen: { width: 1366, height: 768 } },
        { screen: { width: 2560, height: 1440 }, deviceScaleFactor: 2 },
        { locale: 'ja-JP', timezoneId: 'Asia/Tokyo' },
        { locale: 'pt-BR', timezoneId: 'America/Sao_Paulo', screen: { width: 1536, height: 864 } },
        { locale: 'en-US', timezoneId: 'America/New_York', deviceScaleFactor: 1.5 },
      ]
      const ids = new Set<string>([first])
      const seen: string[] = []
      for (const d of devices) {
        const r = await visit(d)
        assert.ok(!ids.has(r.visitorId), 'a new visitor')
        ids.add(r.visitorId)
        for (const c of r.candidates)
          assert.ok(
            !(c.probability > 0.5 && (seen.includes(c.visitorId) || c.visitorId === first)),
            `${c.visitorId} offered at ${c.probability}`,
          )
        seen.push(r.visitorId)
      }
      assert.equal(ids.size, 6)
    })

    it('a fingerprint many visitors of the app share never gets a high-probability candidate', async () => {
      // Identical machines (one corporate image): the same fingerprint from many addresses.
      const shared = { screen: { width: 1440, height: 900 }, locale: 'fr-FR', timezoneId: 'Europe/Paris' }
      const ids = new Set<string>()
      let last: Candidate[] = []
      for (let i = 0; i < 8; i++) {
        const r = await visit(shared)
        ids.add(r.visitorId)
        last = r.candidates
      }
      assert.equal(ids.size, 8, 'each stays its own visitor')
      assert.ok(last.length > 0)
      for (const c of last) assert.ok(c.probability < 0.5, `${c.visitorId} at ${c.probability}`)
      assert.ok(last.every((c) => c.reasons.some((r) => /shown by \d+ visitors/.test(r))))
    })
  })
}
