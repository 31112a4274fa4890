import assert from 'node:assert/strict'
import { type ChildProcess, execFile, spawn } from 'node:child_process'
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { after, describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { components, post, TEST_DATABASE_URL } from './helpers.js'

const CLI = fileURLToPath(new URL('../src/cli.ts', import.meta.url))
const run = promisify(execFile)
const work = mkdtempSync(path.join(tmpdir(), 'sightline-backup-'))
after(() => rmSync(work, { recursive: true, force: true }))

const cli = (args: string[]) =>
  run(process.execPath, ['--import', 'tsx', CLI, ...args], { env: { ...process.env, LOG_LEVEL: 'warn' } })
const fails = (args: string[]) =>
  cli(args).then(
    () => assert.fail(`sightline ${args.join(' ')} should have failed`),
    (err: { code: number; stderr: string }) => err,
  )

function serve(dataDir: string, extra: string[] = []) {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', CLI, 'serve', '--port', '0', '--host', '127.0.0.1', '--data-dir', dataDir, ...extra],
    { env: { ...process.env, LOG_LEVEL: 'warn' } },
  )
  let out = ''
  const ready = new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (c) => {
      out += c
      const m = /serving at (http:\/\/[^/\s]+)\//.exec(out)
      if (m?.[1]) resolve(m[1])
    })
    child.stderr.on('data', (c) => {
      out += c
    })
    child.on('exit', (code) => reject(new Error(`serve exited with ${code}: ${out}`)))
  })
  return { child, ready, output: () => out }
}

async function stop(child: ChildProcess) {
  const exited = new Promise((resolve) => child.on('exit', resolve))
  child.kill('SIGTERM')
  await exited
}

describe('sightline backup', () => {
  it('copies the SQLite database while visits keep coming; the restored copy has every acknowledged visit', async (t) => {
    const live = path.join(work, 'live')
    // Four clients on one address post as fast as they can: the per-address limit (100/s) would answer 429.
    const server = serve(live, ['--rate-limit-identify-per-address', '0'])
    // A failed assertion before the finally below must not leave the server running (the test would hang).
    t.after(() => void (server.child.exitCode === null && server.child.kill('SIGKILL')))
    const url = await server.ready
    const publicKey = /public key: (pk_\w+)/.exec(server.output())![1]!
    // The Demo app's secret key is written to a 0600 file in the data directory, never printed.
    const secretKey = readFileSync(path.join(live, 'demo-secret-key'), 'utf8').trim()
    const acked: { requestId: string; at: number }[] = []
    let loading = true
    // Four browsers identify themselves over and over until the backup is done.
    const load = Array.from({ length: 4 }, async (_, b) => {
      const body = {
        apiKey: publicKey,
        url: 'https://shop.example/',
        components: components({ hardwareConcurrency: b + 1 }),
      }
      while (loading) {
        const res = await post(url, body, { origin: url })
        assert.equal(res.status, 200)
        acked.push({ requestId: res.json.requestId, at: Date.now() })
      }
    })
    try {
      while (acked.length < 100) await new Promise((r) => setTimeout(r, 50))
      const out = path.join(work, 'sightline-backup.db')
      const began = Date.now()
      const { stdout } = await cli(['backup', '--out', out, '--data-dir', live, '--json'])
      const before = acked.filter((a) => a.at < began)
      const during = acked.length - before.length
      const summary = JSON.parse(stdout)
      assert.equal(summary.out, out)
      assert.ok(existsSync(out) && !existsSync(`${out}-wal`), 'one self-contained file')
      loading = false
      await Promise.all(load)
      assert.ok(during > 0, 'visits were acknowledged while the backup ran')
      t.diagnostic(
        `backup: ${summary.pages} pages in ${summary.seconds} s, restarted ${summary.restarted}x; ${before.length} visits before it, ${during} during`,
      )

      // Restore into a new data directory and ask the restored server for every visit acknowledged
      // before the backup began.
      const restored = path.join(work, 'restored')
      mkdirSync(restored)
      copyFileSync(out, path.join(restored, 'sightline.db'))
      // No API rate limit: the check reads every visit as fast as it can (50/s would answer 429).
      const second = serve(restored, ['--no-demo', '--rate-limit-api', '0'])
      try {
        const url2 = await second.ready
        let missing = 0
        for (const { requestId } of before) {
          const res = await fetch(`${url2}/v4/events/${requestId}`, {
            headers: { authorization: `Bearer ${secretKey}` },
          })
          if (res.status === 404) missing++
          else assert.equal(res.status, 200, `GET /v4/events/${requestId}`)
        }
        assert.equal(missing, 0, `${missing} of ${before.length} acknowledged visits are missing`)
        // The restored server takes new visits.
        const next = await post(
          url2,
          {
            apiKey: publicKey,
            url: 'https://shop.example/',
            components: components(),
          },
          { origin: url2 },
        )
        assert.equal(next.status, 200)
      } finally {
        await stop(second.child)
      }
    } finally {
      loading = false
      await Promise.allSettled(load)
      await stop(server.child)
    }
  })

  it('refuses what it cannot do, without side effects', async () => {
    const empty = path.join(work, 'empty')
    assert.match((await fails(['backup', '--data-dir', empty])).stderr, /--out FILE/)
    assert.match(
      (await fails(['backup', '--out', path.join(work, 'x.db'), '--data-dir', empty])).stderr,
      /no database/,
    )
    assert.ok(!existsSync(empty), 'no data dir was created')
    const pg = await fails(['backup', '--out', path.join(work, 'x.db'), '--database-url', TEST_DATABASE_URL])
    assert.equal(pg.code, 2)
    assert.match(pg.stderr, /pg_dump/)
    const taken = path.join(work, 'taken.db')
    writeFileSync(taken, 'mine')
    const db = path.join(work, 'small')
    await cli(['apps', 'create', '--name', 'Shop', '--data-dir', db])
    assert.match((await fails(['backup', '--out', taken, '--data-dir', db])).stderr, /exists \(--force/)
    await cli(['backup', '--out', taken, '--force', '--data-dir', db])
    assert.match((await cli(['apps', 'list', '--database-url', `sqlite:${taken}`])).stdout, /Shop/)
  })
})
