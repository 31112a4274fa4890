import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { createConnection, createServer, type Server, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { createPgSchema } from './helpers.js'

const CLI = fileURLToPath(new URL('../src/cli.ts', import.meta.url))

async function freePort(): Promise<number> {
  const probe = createServer()
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r))
  const port = (probe.address() as { port: number }).port
  await new Promise<void>((r) => probe.close(() => r()))
  return port
}

/** A port that refuses connections until start(), then forwards to the real PostgreSQL. */
async function lateDatabase(target: URL) {
  const port = await freePort()
  const sockets = new Set<Socket>()
  let server: Server | null = null
  return {
    port,
    async start() {
      server = createServer((client) => {
        const upstream = createConnection(Number(target.port || 5432), target.hostname)
        sockets.add(client).add(upstream)
        client.pipe(upstream).pipe(client)
        client.on('error', () => upstream.destroy())
        upstream.on('error', () => client.destroy())
      })
      await new Promise<void>((r) => server!.listen(port, '127.0.0.1', r))
    },
    async stop() {
      for (const s of sockets) s.destroy()
      await new Promise<void>((r) => (server ? server.close(() => r()) : r()))
    },
  }
}

describe('start-up while PostgreSQL is unreachable', () => {
  it('listens, reports it in /readyz, answers 503 elsewhere, and serves once the database appears', async () => {
    const schema = await createPgSchema()
    const real = new URL(schema.url)
    const late = await lateDatabase(real)
    const dir = mkdtempSync(path.join(tmpdir(), 'sightline-startup-'))
    const url = new URL(schema.url)
    url.port = String(late.port)
    url.hostname = '127.0.0.1'
    url.search = `?options=${encodeURIComponent(`-c search_path=${schema.schema}`)}`
    const port = await freePort()
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', CLI, 'serve', '--port', String(port), '--host', '127.0.0.1', '--data-dir', dir],
      { env: { ...process.env, LOG_LEVEL: 'warn', DATABASE_URL: url.toString() } },
    )
    let out = ''
    child.stdout.on('data', (c) => {
      out += c
    })
    child.stderr.on('data', (c) => {
      out += c
    })
    const base = `http://127.0.0.1:${port}`
    try {
      let ready: Response | undefined
      for (let i = 0; i < 100 && !ready; i++) {
        ready = await fetch(`${base}/readyz`).catch(() => undefined)
        if (!ready) await new Promise((r) => setTimeout(r, 100))
      }
      assert.ok(ready, `the server never listened: ${out}`)
      assert.equal(ready.status, 503)
      const body = (await ready.json()) as any
      assert.equal(body.status, 'not ready')
      assert.match(body.checks.startup.waitingFor, /database/)
      assert.equal((await fetch(`${base}/healthz`)).status, 200)
      const identify = await fetch(`${base}/v1/identify`, { method: 'POST', body: '{}' })
      assert.equal(identify.status, 503)
      assert.equal(identify.headers.get('retry-after'), '5')
      assert.equal(((await identify.json()) as any).error.code, 'StateNotReady')
      assert.match(out, /database unreachable: waiting/)
      assert.doesNotMatch(out, /serving at/)

      await late.start()
      for (let i = 0; i < 100 && !/serving at/.test(out); i++) await new Promise((r) => setTimeout(r, 100))
      assert.match(out, /serving at/)
      assert.equal((await fetch(`${base}/readyz`)).status, 200)
      assert.match(out, /public key: pk_/)
    } finally {
      child.kill('SIGTERM')
      await new Promise((r) => child.once('exit', r))
      await late.stop()
      rmSync(dir, { recursive: true, force: true })
      await schema.drop()
    }
  })
})
