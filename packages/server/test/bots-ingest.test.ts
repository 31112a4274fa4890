// Clients that skip the browser and post to POST /v1/identify themselves.
import assert from 'node:assert/strict'
import { request } from 'node:http'
import { after, before, describe, it } from 'node:test'
import { CHROME_MAC_UA, components, post, startServer, type TestServer } from './helpers.js'

describe('bot detection at the ingest endpoint', () => {
  let s: TestServer
  before(async () => {
    s = await startServer()
  })
  after(async () => {
    await s?.close()
  })

  async function bot(requestId: string) {
    const res = await fetch(`${s.url}/v1/visits/${requestId}`, { headers: { Auth: s.secretKey } })
    assert.equal(res.status, 200)
    const v = (await res.json()) as any
    assert.equal(v.visitorDetails.botProbability, v.bot.botProbability)
    return v.bot as {
      browserSaysItsBot: boolean
      botProbability: number
      reasons: { signal: string; weight: number }[]
      replayOf?: string
    }
  }
  const body = (c = components()) => ({ apiKey: s.publicKey, url: 'https://shop.example/', components: c })
  const signals = (b: { reasons: { signal: string }[] }) => b.reasons.map((r) => r.signal)

  for (const ua of ['curl/8.5.0', 'python-requests/2.31.0']) {
    it(`${ua} says it is a bot`, async () => {
      const r = await post(s.url, body({}), { 'user-agent': ua })
      assert.equal(r.status, 200)
      const b = await bot(r.json.requestId)
      assert.equal(b.browserSaysItsBot, true)
      assert.ok(b.botProbability >= 0.9, JSON.stringify(b))
      assert.ok(signals(b).includes('payload_incomplete'))
    })
  }

  it('an empty User-Agent with a payload no agent sends', async () => {
    // node:http sends no User-Agent unless told to.
    const payload = JSON.stringify(body({}))
    const requestId = await new Promise<string>((resolve, reject) => {
      const req = request(
        `${s.url}/v1/identify`,
        { method: 'POST', headers: { 'content-type': 'text/plain' } },
        (res) => {
          let t = ''
          res.on('data', (c) => (t += c))
          res.on('end', () => resolve(JSON.parse(t).requestId))
        },
      )
      req.on('error', reject)
      req.end(payload)
    })
    const b = await bot(requestId)
    assert.ok(signals(b).includes('ua_missing'))
    assert.ok(b.botProbability >= 0.8, JSON.stringify(b))
  })

  it('a browser-like payload with typed-in values: uniform durations, impossible screen', async () => {
    const c = components({ screen: { width: 0, height: 0, colorDepth: 24 } })
    for (const n of ['viewport', 'screenFrame', 'plugins', 'chrome', 'errorStack', 'math', 'intl', 'vendor'])
      c[n] = { value: null, duration: 1 }
    const r = await post(s.url, body(c))
    const b = await bot(r.json.requestId)
    assert.ok(signals(b).includes('payload_malformed'), JSON.stringify(b))
    assert.ok(b.botProbability >= 0.8, JSON.stringify(b))
  })

  it('a replayed payload is recognised as a replay, with the identification it copies', async () => {
    const c = components({
      automation: { n: 'abcdefghij0123456789', t: Date.now(), tampered: [], globals: [] },
    })
    const first = await post(s.url, body(c), { 'user-agent': CHROME_MAC_UA })
    const b1 = await bot(first.json.requestId)
    assert.ok(!signals(b1).includes('replayed_payload'))
    const again = await post(s.url, body(c), { 'user-agent': CHROME_MAC_UA })
    assert.equal(again.status, 200)
    const b2 = await bot(again.json.requestId)
    assert.ok(signals(b2).includes('replayed_payload'), JSON.stringify(b2))
    assert.equal(b2.replayOf, first.json.requestId)
    assert.ok(b2.botProbability >= 0.95)
    // The agent posting the same collection again carries the identifier the first answer issued: no replay.
    const next = await post(s.url, { ...body(c), storedId: first.json.storedId })
    assert.ok(!signals(await bot(next.json.requestId)).includes('replayed_payload'))
  })

  it('two get() calls at once share a collection but not its nonce: neither is a replay', async () => {
    const c = (n: string) => components({ automation: { n, t: Date.now(), tampered: [], globals: [] } })
    const [a, b] = await Promise.all([
      post(s.url, body(c('0123456789abcdefgh')), { 'user-agent': CHROME_MAC_UA }),
      post(s.url, body(c('hgfedcba9876543210')), { 'user-agent': CHROME_MAC_UA }),
    ])
    for (const r of [a, b]) assert.ok(!signals(await bot(r.json.requestId)).includes('replayed_payload'))
    const copy = await post(s.url, body(c('0123456789abcdefgh')), { 'user-agent': CHROME_MAC_UA })
    assert.equal((await bot(copy.json.requestId)).replayOf, a.json.requestId)
  })

  it('a whole raw body sent twice (no nonce) is a replay too', async () => {
    const c = components({ canvas: { text: 'zz', geometry: 'yy', stable: true } })
    const first = await post(s.url, body(c), { 'user-agent': 'curl/8.5.0' })
    const again = await post(s.url, body(c), { 'user-agent': 'curl/8.5.0' })
    assert.equal((await bot(again.json.requestId)).replayOf, first.json.requestId)
  })
})
