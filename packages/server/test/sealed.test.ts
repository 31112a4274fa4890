import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { createDecipheriv, randomBytes } from 'node:crypto'
import { after, before, describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { inflateRawSync } from 'node:zlib'
import * as v4sdk from '@fingerprint/node-sdk'
import * as v3sdk from '@fingerprintjs/fingerprintjs-pro-server-api'
import type { Page } from 'playwright-core'
import { SEALED_KEY_CACHE_MS } from '../src/sealed/sealer.js'
import { createApp } from '../src/store/apps.js'
import type { Dialect } from '../src/store/db.js'
import { launch, servePage } from './browser.js'
import {
  components,
  DIALECTS,
  dialectName,
  post,
  startServer,
  TEST_DATABASE_URL,
  type TestServer,
} from './helpers.js'

const CLI = fileURLToPath(new URL('../src/cli.ts', import.meta.url))
const exec = promisify(execFile)

/** `sightline apps sealed-key …` against the test server's database (its data dir, or its PostgreSQL schema). */
function sealedKeyCli(s: TestServer, dialect: Dialect) {
  const env: NodeJS.ProcessEnv = { ...process.env, SIGHTLINE_DATA_DIR: s.dataDir, DATABASE_URL: '' }
  if (dialect === 'postgres') {
    const schema = /\(schema (\w+)\)/.exec(s.sl.db.location)?.[1]
    assert.ok(schema, `schema in ${s.sl.db.location}`)
    const url = new URL(TEST_DATABASE_URL)
    url.searchParams.set('options', `-c search_path=${schema}`)
    env.DATABASE_URL = url.toString()
  }
  const run = (args: string[]) =>
    exec(process.execPath, ['--import', 'tsx', CLI, 'apps', 'sealed-key', ...args], { env })
  return {
    run,
    json: async (args: string[]) => JSON.parse((await run([...args, '--json'])).stdout),
    fails: async (args: string[]) => {
      try {
        await run(args)
      } catch (err) {
        return err as { code: number; stderr: string }
      }
      throw new Error(`sealed-key ${args.join(' ')} should have failed`)
    },
  }
}

const keysOf = (b64: string) => [
  { key: Buffer.from(b64, 'base64'), algorithm: v3sdk.DecryptionAlgorithm.Aes256Gcm },
]
const keysV4 = (b64: string) => [
  { key: Buffer.from(b64, 'base64'), algorithm: v4sdk.DecryptionAlgorithm.Aes256Gcm },
]

/** The documented layout, opened with nothing but node:crypto and node:zlib. */
function openWithNode(sealed: Buffer, key: Buffer): unknown {
  assert.deepEqual([...sealed.subarray(0, 4)], [0x9e, 0x85, 0xdc, 0xed])
  const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(4, 16))
  decipher.setAuthTag(sealed.subarray(-16))
  const deflated = Buffer.concat([decipher.update(sealed.subarray(16, -16)), decipher.final()])
  return JSON.parse(inflateRawSync(deflated).toString('utf8'))
}

const identify = (s: TestServer, apiKey: string, extra: object = {}) =>
  post(s.url, { apiKey, url: 'https://shop.example/checkout', components: components(), ...extra })

for (const dialect of DIALECTS) {
  describe(`sealed results (${dialectName(dialect)})`, () => {
    let s: TestServer
    let cli: ReturnType<typeof sealedKeyCli>
    before(async () => {
      s = await startServer({}, {}, { dialect })
      cli = sealedKeyCli(s, dialect)
    })
    after(async () => s?.close())

    const newApp = (name: string) => createApp(s.sl.db.kysely, { name })

    it('answers without sealedResult while the app has no key', async () => {
      const r = await identify(s, s.publicKey)
      assert.equal(r.status, 200, JSON.stringify(r.json))
      assert.equal('sealedResult' in r.json, false)
    })

    it('seals the v3 event, which the v3 SDK and plain node:crypto open; a wrong key does not', async () => {
      const app = await newApp('Sealed v3')
      const key = await cli.json(['create', '--app', app.id])
      assert.match(key.id, /^seal_/)
      assert.equal(key.format, 'v3')
      assert.equal(Buffer.from(key.key, 'base64').length, 32)

      const r = await identify(s, app.publicKey, { linkedId: 'order-7', tag: { cart: 3 } })
      assert.equal(r.status, 200, JSON.stringify(r.json))
      assert.equal(typeof r.json.sealedResult, 'string')
      const sealed = Buffer.from(r.json.sealedResult, 'base64')

      const event = await v3sdk.unsealEventsResponse(sealed, keysOf(key.key))
      const data = event.products.identification?.data
      assert.ok(data, JSON.stringify(event))
      assert.equal(data.requestId, r.json.requestId)
      assert.equal(data.visitorId, r.json.visitorId)
      assert.equal(data.linkedId, 'order-7')
      assert.deepEqual(data.tag, { cart: 3 })
      assert.deepEqual(openWithNode(sealed, Buffer.from(key.key, 'base64')), event)

      await assert.rejects(
        v3sdk.unsealEventsResponse(sealed, keysOf(randomBytes(32).toString('base64'))),
        v3sdk.UnsealAggregateError,
      )
      // Every answer has its own nonce.
      const again = await identify(s, app.publicKey)
      assert.notEqual(
        Buffer.from(again.json.sealedResult, 'base64').subarray(4, 16).toString('hex'),
        sealed.subarray(4, 16).toString('hex'),
      )
    })

    it('seals the v4 event for a v4 key, which the v4 SDK opens', async () => {
      const app = await newApp('Sealed v4')
      const key = await cli.json(['create', '--app', app.id, '--format', 'v4'])
      assert.equal(key.format, 'v4')
      const r = await identify(s, app.publicKey, { extendedResult: true })
      assert.equal(r.status, 200, JSON.stringify(r.json))
      const sealed = Buffer.from(r.json.sealedResult, 'base64')
      const event = await v4sdk.unsealEventsResponse(sealed, keysV4(key.key))
      assert.equal(event.event_id, r.json.requestId)
      assert.equal(event.identification?.visitor_id, r.json.visitorId)
      assert.equal(typeof event.timestamp, 'number')
      // A v4 event is not a v3 one: the v3 SDK refuses it.
      await assert.rejects(v3sdk.unsealEventsResponse(sealed, keysOf(key.key)), /not valid events response/)
    })

    it('lists keys without the key, disables them, and a disabled key stops sealing', async () => {
      const app = await newApp('Rotating')
      const oldKey = await cli.json(['create', '--app', app.id])
      const first = await identify(s, app.publicKey)
      await v3sdk.unsealEventsResponse(Buffer.from(first.json.sealedResult, 'base64'), keysOf(oldKey.key))

      // Rotation: a newer key seals once the cache lets go of the old one.
      const newKey = await cli.json(['create', '--app', app.id, '--format', 'v4'])
      const listed = await cli.json(['list', '--app', app.id])
      assert.deepEqual(
        listed.map((k: { id: string }) => k.id),
        [newKey.id, oldKey.id],
      )
      for (const k of listed) {
        assert.deepEqual(Object.keys(k).sort(), ['active', 'appId', 'createdAt', 'format', 'id'])
        assert.equal(k.active, true)
      }
      const text = (await cli.run(['list', '--app', app.id])).stdout
      assert.match(text, new RegExp(`${newKey.id}\\s+v4\\s+active`))
      assert.doesNotMatch(text, new RegExp(oldKey.key.replace(/[+/]/g, '.')))

      await new Promise((r) => setTimeout(r, SEALED_KEY_CACHE_MS + 200))
      const rotated = await identify(s, app.publicKey)
      const event = await v4sdk.unsealEventsResponse(
        Buffer.from(rotated.json.sealedResult, 'base64'),
        keysV4(newKey.key),
      )
      assert.equal(event.event_id, rotated.json.requestId)

      for (const k of [newKey, oldKey]) {
        const out = await cli.json(['disable', k.id])
        assert.deepEqual(out, { id: k.id, active: false })
      }
      const after = await cli.json(['list', '--app', app.id])
      assert.deepEqual(
        after.map((k: { active: boolean }) => k.active),
        [false, false],
      )
      await new Promise((r) => setTimeout(r, SEALED_KEY_CACHE_MS + 200))
      const unsealed = await identify(s, app.publicKey)
      assert.equal(unsealed.status, 200)
      assert.equal('sealedResult' in unsealed.json, false)
    })

    it('explains CLI mistakes with exit code 2', async () => {
      const noApp = await cli.fails(['create'])
      assert.equal(noApp.code, 2)
      assert.match(noApp.stderr, /--app/)
      const unknownApp = await cli.fails(['create', '--app', 'app_nope'])
      assert.match(unknownApp.stderr, /no app with id app_nope/)
      const badFormat = await cli.fails(['create', '--app', s.appId, '--format', 'v5'])
      assert.match(badFormat.stderr, /--format must be v3 or v4/)
      const unknownKey = await cli.fails(['disable', 'seal_nope'])
      assert.match(unknownKey.stderr, /no sealed-results key with id seal_nope/)
      assert.match((await cli.run(['--help'])).stdout, /sealed-key create --app APP_ID/)
    })
  })
}

describe('sealed results from the real agent in Chromium', () => {
  for (const dialect of DIALECTS) {
    it(`get() returns a sealedResult that both SDKs open (${dialectName(dialect)})`, async () => {
      const s = await startServer({}, {}, { dialect })
      const site = await servePage(`<!doctype html><html><head>
<script src="${s.url}/agent.js"></script></head><body>
<script>
window.identify = (apiKey, get) =>
  Sightline.load({ apiKey, endpoint: ${JSON.stringify(s.url)} })
    .then((agent) => agent.get(get))
    .catch((e) => ({ error: e.message }))
</script></body></html>`)
      const browser = await launch()
      try {
        const cli = sealedKeyCli(s, dialect)
        const [v3App, v4App] = [
          await createApp(s.sl.db.kysely, { name: 'v3' }),
          await createApp(s.sl.db.kysely, { name: 'v4' }),
        ]
        const v3Key = await cli.json(['create', '--app', v3App.id, '--format', 'v3'])
        const v4Key = await cli.json(['create', '--app', v4App.id, '--format', 'v4'])
        const page: Page = await browser.context.newPage()
        await page.goto(site.url)
        const get = (apiKey: string, options: object) =>
          page.evaluate(([k, o]) => (window as any).identify(k, o), [apiKey, options] as const)

        const a = await get(v3App.publicKey, { linkedId: 'browser-1' })
        assert.equal(typeof a.sealedResult, 'string', JSON.stringify(a))
        const e3 = await v3sdk.unsealEventsResponse(Buffer.from(a.sealedResult, 'base64'), keysOf(v3Key.key))
        assert.equal(e3.products.identification?.data?.requestId, a.requestId)
        assert.equal(e3.products.identification?.data?.visitorId, a.visitorId)
        assert.equal(e3.products.identification?.data?.linkedId, 'browser-1')

        const b = await get(v4App.publicKey, { extendedResult: true })
        assert.equal(typeof b.sealedResult, 'string', JSON.stringify(b))
        const e4 = await v4sdk.unsealEventsResponse(Buffer.from(b.sealedResult, 'base64'), keysV4(v4Key.key))
        assert.equal(e4.event_id, b.requestId)
        assert.equal(e4.identification?.visitor_id, b.visitorId)
        assert.equal(typeof b.browserName, 'string', 'the extended result is still there')

        const plain = await get(s.publicKey, {})
        assert.ok(plain.visitorId, JSON.stringify(plain))
        assert.equal('sealedResult' in plain, false)
      } finally {
        await browser.close()
        await site.close()
        await s.close()
      }
    })
  }
})
