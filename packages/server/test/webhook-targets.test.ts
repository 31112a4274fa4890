import assert from 'node:assert/strict'
import { createHmac } from 'node:crypto'
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { after, before, describe, it } from 'node:test'
import { createWebhook, listDeliveries } from '../src/store/webhooks.js'
import { postWebhook } from '../src/webhooks/send.js'
import { isPublicAddress } from '../src/webhooks/target.js'
import { components, DIALECTS, dialectName, post, startServer, type TestServer } from './helpers.js'

class Receiver {
  server: Server
  got: { headers: IncomingHttpHeaders; body: string }[] = []
  constructor() {
    this.server = createServer((req, res) => {
      let body = ''
      req.on('data', (c) => (body += c))
      req.on('end', () => {
        this.got.push({ headers: req.headers, body })
        res.writeHead(200).end('ok')
      })
    })
  }
  async start() {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r))
    return (this.server.address() as AddressInfo).port
  }
  stop() {
    this.server.closeAllConnections()
    return new Promise<void>((r) => this.server.close(() => r()))
  }
}

const waitFor = async <T>(what: string, fn: () => Promise<T | undefined>, ms = 10_000): Promise<T> => {
  const end = Date.now() + ms
  for (;;) {
    const v = await fn()
    if (v !== undefined) return v
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

describe('webhook targets', () => {
  it('classifies loopback, link-local, private and unique-local addresses as not public', () => {
    for (const a of [
      '127.0.0.1',
      '127.1.2.3',
      '::1',
      '10.1.2.3',
      '172.16.0.1',
      '192.168.1.1',
      '169.254.169.254',
      'fe80::1',
      'fc00::1',
      'fd12:3456::1',
      '::ffff:127.0.0.1',
      '::ffff:10.0.0.1',
      '0.0.0.0',
      '::',
      '100.64.0.1',
    ])
      assert.equal(isPublicAddress(a), false, a)
    for (const a of ['8.8.8.8', '1.1.1.1', '2606:4700:4700::1111', '2a00:1450:4001::200e'])
      assert.equal(isPublicAddress(a), true, a)
  })

  describe('postWebhook', () => {
    const receiver = new Receiver()
    let port = 0
    before(async () => {
      port = await receiver.start()
    })
    after(() => receiver.stop())
    const send = (url: string, allowPrivate: boolean) =>
      postWebhook(
        url,
        '{"a":1}',
        { 'Sightline-Signature': 't=1,v1=x' },
        {
          timeoutMs: 5000,
          stop: new AbortController().signal,
          allowPrivate,
        },
      )

    it('refuses an address literal and a name that resolves to one, unless allowed', async () => {
      const before = receiver.got.length
      for (const url of [
        `http://127.0.0.1:${port}/h`,
        `http://localhost:${port}/h`,
        `http://[::1]:${port}/h`,
      ]) {
        const r = await send(url, false)
        assert.equal(r.kind, 'error', url)
        assert.match(r.kind === 'error' ? r.error : '', /refused: .* not a public address/, url)
      }
      assert.equal(receiver.got.length, before, 'nothing reached the receiver')
      assert.deepEqual(await send(`http://localhost:${port}/h`, true), { kind: 'response', status: 200 })
      assert.equal(receiver.got.at(-1)?.body, '{"a":1}')
    })
  })
})

for (const dialect of DIALECTS) {
  describe(`webhook deliveries to private addresses (${dialectName(dialect)})`, () => {
    let s: TestServer
    const receiver = new Receiver()
    let port = 0
    before(async () => {
      port = await receiver.start()
      s = await startServer({}, {}, { dialect })
    })
    after(async () => {
      await s?.close()
      await receiver.stop()
    })

    it('checks the address at delivery time, and signs t + "." + body in Sightline-Signature', async () => {
      const db = s.sl.db.kysely
      // As if the name had resolved to a public address when the webhook was added.
      const refused = (await createWebhook(db, {
        appId: s.appId,
        url: `http://localhost:${port}/r`,
        format: 'v4',
      }))!
      const allowed = (await createWebhook(db, {
        appId: s.appId,
        url: `http://127.0.0.1:${port}/a`,
        format: 'v4',
        allowPrivate: true,
      }))!
      const ev = await post(s.url, {
        apiKey: s.publicKey,
        url: 'https://shop.example/',
        components: components(),
      })
      assert.equal(ev.status, 200)
      const failed = await waitFor('the refused attempt', async () => {
        const [d] = await listDeliveries(db, { webhookId: refused.id })
        return d && d.attempts > 0 ? d : undefined
      })
      assert.equal(failed.lastStatus, null)
      assert.match(
        failed.lastError ?? '',
        /refused: localhost resolves to (127\.0\.0\.1|::1), not a public address/,
      )
      const got = await waitFor('the allowed delivery', async () =>
        receiver.got.find((g) => g.body.includes(ev.json.requestId)),
      )
      assert.equal(receiver.got.filter((g) => g.body.includes(ev.json.requestId)).length, 1)

      // Verifying as docs/webhooks.md tells receivers to.
      const header = String(got.headers['sightline-signature'])
      const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header)
      assert.ok(m, header)
      const t = Number(m[1])
      assert.ok(Math.abs(Date.now() / 1000 - t) < 60, 'a fresh timestamp')
      const expected = createHmac('sha256', allowed.secret).update(`${t}.${got.body}`).digest('hex')
      assert.equal(m[2], expected)
      assert.equal(
        got.headers['fpjs-event-signature'],
        `v1=${createHmac('sha256', allowed.secret).update(got.body).digest('hex')}`,
      )
    })
  })
}
