import assert from 'node:assert/strict'
import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { after, describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { components, createPgSchema, DIALECTS, dialectName, type PgSchema, post } from './helpers.js'

// Webhook dispatch off the ingest path: `serve --no-dispatch` beside `sightline dispatch`, and
// `serve --workers N`, whose primary sends what the workers queue.

const CLI = fileURLToPath(new URL('../src/cli.ts', import.meta.url))
const run = promisify(execFile)
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

const cleanups: (() => unknown)[] = []
after(async () => {
  for (const c of cleanups) await c()
})

interface Place {
  env: NodeJS.ProcessEnv
  args: string[]
}

async function newPlace(dialect: 'sqlite' | 'postgres'): Promise<Place> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'sightline-dispatch-'))
  cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }))
  let pg: PgSchema | null = null
  if (dialect === 'postgres') {
    pg = await createPgSchema()
    cleanups.push(() => pg?.drop())
  }
  const url = pg ? new URL(pg.url) : null
  url?.searchParams.set('options', `-c search_path=${pg?.schema}`)
  return {
    env: {
      ...process.env,
      LOG_LEVEL: process.env.TEST_LOG ?? 'warn',
      SIGHTLINE_RATE_LIMIT_IDENTIFY_PER_ADDRESS: '0',
    },
    args: ['--data-dir', dataDir, ...(url ? ['--database-url', url.href] : [])],
  }
}

const cli = async (place: Place, args: string[]) =>
  JSON.parse(
    (
      await run(process.execPath, ['--import', 'tsx', CLI, ...args, ...place.args, '--json'], {
        env: place.env,
      })
    ).stdout,
  )

/** Starts a CLI process and waits for the line matching `ready` (its first group). */
function start(place: Place, args: string[], ready: RegExp) {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args, ...place.args], { env: place.env })
  let out = ''
  const found = new Promise<string>((resolve, reject) => {
    const look = (c: Buffer) => {
      out += c
      const m = ready.exec(out)
      if (m?.[1]) resolve(m[1])
    }
    child.stdout.on('data', look)
    child.stderr.on('data', (c: Buffer) => {
      out += c
    })
    child.on('exit', (code) => reject(new Error(`${args[0]} exited with ${code}: ${out}`)))
  })
  cleanups.push(() => stop(child))
  return { child, found, output: () => out }
}

async function stop(child: ChildProcess) {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise((resolve) => child.on('exit', resolve))
  child.kill('SIGTERM')
  await exited
}

async function receiver() {
  const events: string[] = []
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      events.push(JSON.parse(Buffer.concat(chunks).toString('utf8')).event_id)
      res.writeHead(200).end('{}')
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  cleanups.push(() => {
    server.closeAllConnections()
    return new Promise((r) => server.close(r))
  })
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, events }
}

/** An app with one webhook to the receiver, made before any server starts (no cached webhook list to wait out). */
async function appWithWebhook(place: Place, url: string) {
  const app = await cli(place, ['apps', 'create', '--name', 'Dispatch'])
  await cli(place, ['webhooks', 'add', '--app', app.id, '--url', url, '--allow-private'])
  return app as { id: string; publicKey: string }
}

async function identifyMany(url: string, publicKey: string, n: number): Promise<string[]> {
  const ids: string[] = []
  for (let i = 0; i < n; i++) {
    const res = await post(url, {
      apiKey: publicKey,
      url: 'https://shop.example/',
      components: components({ automation: { n: randomBytes(8).toString('hex') } }),
    })
    assert.equal(res.status, 200, JSON.stringify(res.json))
    ids.push(res.json.requestId)
  }
  return ids
}

async function waitFor(what: string, check: () => boolean, timeoutMs = 20_000) {
  const until = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`)
    await sleep(50)
  }
}

const once = (events: string[], ids: string[]) => {
  for (const id of ids)
    assert.equal(events.filter((e) => e === id).length, 1, `event ${id} delivered exactly once`)
  assert.equal(events.length, ids.length, 'nothing else delivered')
}

for (const dialect of DIALECTS) {
  describe(`webhook dispatch off the ingest path (${dialectName(dialect)})`, () => {
    it('serve --no-dispatch only queues; sightline dispatch sends every delivery once', async () => {
      const place = await newPlace(dialect)
      const hook = await receiver()
      const app = await appWithWebhook(place, hook.url)
      const server = start(
        place,
        ['serve', '--port', '0', '--host', '127.0.0.1', '--no-demo', '--no-dispatch'],
        /serving at (http:\/\/[^/\s]+)\//,
      )
      const url = await server.found
      const ids = await identifyMany(url, app.publicKey, 5)
      await sleep(1500)
      assert.equal(hook.events.length, 0, 'a server started with --no-dispatch sends nothing')
      const dispatcher = start(place, ['dispatch', '--poll-ms', '50'], /is (dispatching) webhook deliveries/)
      await dispatcher.found
      await waitFor('the queued deliveries', () => hook.events.length >= ids.length)
      // Queued while the dispatcher runs: found by its poll (no wake-up crosses processes).
      await sleep(500)
      assert.equal(dispatcher.child.exitCode, null, 'an idle dispatcher keeps running')
      const more = await identifyMany(url, app.publicKey, 3)
      await waitFor('the new deliveries', () => hook.events.length >= ids.length + more.length)
      await stop(dispatcher.child)
      assert.equal(dispatcher.child.exitCode, 0, dispatcher.output())
      once(hook.events, [...ids, ...more])
      const pending = await cli(place, ['webhooks', 'deliveries', '--status', 'pending'])
      assert.equal(pending.length, 0, 'nothing left pending')
    })

    it('serve --workers 2: the primary sends what the workers queue, each delivery once', async () => {
      const place = await newPlace(dialect)
      const hook = await receiver()
      const app = await appWithWebhook(place, hook.url)
      const server = start(
        place,
        ['serve', '--port', '0', '--host', '127.0.0.1', '--no-demo', '--workers', '2'],
        /serving at (http:\/\/[^/\s]+)\/ with 2 workers/,
      )
      const url = await server.found
      const ids = await identifyMany(url, app.publicKey, 8)
      const t0 = Date.now()
      await waitFor('every delivery', () => hook.events.length >= ids.length)
      // The workers wake the primary's dispatcher: no wait for its 1 s idle poll per delivery.
      assert.ok(Date.now() - t0 < 10_000, `delivered in ${Date.now() - t0} ms`)
      await stop(server.child)
      assert.equal(server.child.exitCode, 0, server.output())
      once(hook.events, ids)
    })
  })
}
