import assert from 'node:assert/strict'
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { after, describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { sql } from 'kysely'
import { loadConfig, parseMetricsListen } from '../src/config.js'
import { openDatabase } from '../src/store/db.js'
import { components, createPgSchema, post } from './helpers.js'

const CLI = fileURLToPath(new URL('../src/cli.ts', import.meta.url))
const dirs: string[] = []
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

function serve(args: string[]) {
  const dir = mkdtempSync(path.join(tmpdir(), 'sightline-metrics-'))
  dirs.push(dir)
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', CLI, 'serve', '--port', '0', '--host', '127.0.0.1', '--data-dir', dir, ...args],
    { env: { ...process.env, LOG_LEVEL: 'warn' } },
  )
  let out = ''
  const ready = new Promise<{ url: string; metrics: string | undefined; publicKey: string }>(
    (resolve, reject) => {
      child.stdout.on('data', (c) => {
        out += c
        const m = /serving at (http:\/\/[^/\s]+)\/.*\n(?:Metrics at (\S+)\n)?/.exec(out)
        if (m?.[1] && (m[2] || !args.includes('--metrics-listen')))
          resolve({ url: m[1], metrics: m[2], publicKey: /public key: (pk_\w+)/.exec(out)![1]! })
      })
      child.stderr.on('data', (c) => {
        out += c
      })
      child.on('exit', (code) => reject(new Error(`serve exited with ${code}: ${out}`)))
    },
  )
  return { child, ready }
}

async function stop(child: ChildProcess) {
  const exited = new Promise((resolve) => child.on('exit', resolve))
  child.kill('SIGTERM')
  await exited
}

/** The value of one sample of the exposition text, summed over the samples whose labels include `labels`. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  let total: number | undefined
  for (const line of text.split('\n')) {
    const m = /^([a-z_:]+)(?:\{(.*)\})? (\S+)$/.exec(line)
    if (!m || m[1] !== name) continue
    const have = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1], l[2]]))
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) total = (total ?? 0) + Number(m[3])
  }
  return total
}

describe('/metrics', () => {
  it('is off unless asked for, and never on the public port', async () => {
    assert.equal(loadConfig({}).metricsListen, null)
    assert.deepEqual(parseMetricsListen('9464'), { host: '127.0.0.1', port: 9464 })
    assert.deepEqual(parseMetricsListen('0.0.0.0:9464'), { host: '0.0.0.0', port: 9464 })
    assert.deepEqual(parseMetricsListen('[::1]:9464'), { host: '::1', port: 9464 })
    assert.throws(() => parseMetricsListen('localhost'), /HOST:PORT/)
    // PostgreSQL's pool is reported: total, idle, and requests waiting for a connection.
    const pg = await createPgSchema()
    const db = openDatabase({ databaseUrl: pg.url, dataDir: tmpdir(), pgSchema: pg.schema, poolSize: 3 })
    try {
      await sql`select 1`.execute(db.kysely)
      await assert.rejects(sql`select * from no_such_table`.execute(db.kysely))
      assert.deepEqual(db.stats(), { errors: 1, pool: { total: 1, idle: 1, waiting: 0 } })
    } finally {
      await db.close()
      await pg.drop()
    }
    const { child, ready } = serve([])
    try {
      const { url } = await ready
      assert.equal((await fetch(`${url}/metrics`)).status, 404)
    } finally {
      await stop(child)
    }
  })

  for (const workers of [1, 2]) {
    it(`serves identifications, latency, webhook queue, database and event-loop metrics (${workers} process${workers > 1 ? 'es, aggregated' : ''})`, async () => {
      const { child, ready } = serve(['--metrics-listen', '127.0.0.1:0', '--workers', String(workers)])
      try {
        const { url, metrics, publicKey } = await ready
        assert.ok(metrics, 'the address is printed')
        assert.equal((await fetch(`${url}/metrics`)).status, 404, 'not on the public port')
        const browsers = 6
        for (let b = 0; b < browsers; b++) {
          const body = {
            apiKey: publicKey,
            url: 'https://shop.example/',
            components: components({ hardwareConcurrency: b + 1 }),
          }
          assert.equal((await post(url, body, { origin: url })).status, 200)
          assert.equal((await post(url, body, { origin: url })).status, 200) // the same browser again: found by fingerprint
        }
        assert.equal((await post(url, { apiKey: publicKey })).status, 400)
        const res = await fetch(metrics)
        assert.equal(res.status, 200)
        assert.match(res.headers.get('content-type') ?? '', /text\/plain/)
        const text = await res.text()
        assert.equal(sample(text, 'sightline_identifications_total'), 2 * browsers)
        assert.equal(sample(text, 'sightline_identifications_total', { path: 'new' }), browsers)
        assert.equal(sample(text, 'sightline_identifications_total', { path: 'fingerprint' }), browsers)
        const identify = { route: '/v1/identify', method: 'POST' }
        assert.equal(
          sample(text, 'sightline_http_request_duration_seconds_count', { ...identify, status: '200' }),
          2 * browsers,
        )
        assert.equal(
          sample(text, 'sightline_http_request_duration_seconds_count', { ...identify, status: '400' }),
          1,
        )
        assert.ok(sample(text, 'sightline_http_request_duration_seconds_sum', identify)! > 0)
        assert.equal(sample(text, 'sightline_webhook_queue_depth'), 0)
        assert.equal(sample(text, 'sightline_webhook_queue_oldest_age_seconds'), 0)
        assert.equal(sample(text, 'sightline_db_errors_total'), 0)
        assert.ok(sample(text, 'nodejs_eventloop_lag_seconds')! >= 0)
        assert.ok(sample(text, 'process_resident_memory_bytes')! > 0)
        assert.equal((await fetch(metrics.replace('/metrics', '/other'))).status, 404)
      } finally {
        await stop(child)
      }
    })
  }
})
