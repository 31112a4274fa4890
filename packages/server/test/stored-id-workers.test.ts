import assert from 'node:assert/strict'
import { execFile, spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { TOKEN_SECRETS_REFRESH_MS } from '../src/store/token-secrets.js'
import { components, createPgSchema, DIALECTS, dialectName, post } from './helpers.js'

const CLI = fileURLToPath(new URL('../src/cli.ts', import.meta.url))
const run = promisify(execFile)
const CHROME_LINUX =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36'
const FIREFOX_WINDOWS = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0'

for (const dialect of DIALECTS) {
  describe(`stored identifiers with --workers 2 (${dialectName(dialect)})`, () => {
    it('every worker distrusts a replayed identifier, and picks up a token secret rotation without a restart', async () => {
      const dir = mkdtempSync(path.join(tmpdir(), 'sightline-sid-workers-'))
      const pg = dialect === 'postgres' ? await createPgSchema() : null
      const env: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: 'warn', SIGHTLINE_DATA_DIR: dir }
      if (pg) env.DATABASE_URL = `${pg.url}?options=${encodeURIComponent(`-c search_path=${pg.schema}`)}`
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', CLI, 'serve', '--port', '0', '--host', '127.0.0.1', '--workers', '2'],
        { env },
      )
      let out = ''
      const ready = new Promise<string>((resolve, reject) => {
        child.stdout.on('data', (c) => {
          out += c
          const m = /serving at (http:\/\/[^/\s]+)\/ with 2 workers/.exec(out)
          if (m?.[1]) resolve(m[1])
        })
        child.stderr.on('data', (c) => (out += c))
        child.on('exit', (code) => reject(new Error(`serve exited with ${code}: ${out}`)))
      })
      try {
        const url = await ready
        const publicKey = /public key: (pk_\w+)/.exec(out)?.[1]
        // The Demo app's secret key is written to a 0600 file in the data directory, never printed.
        const secretKey = readFileSync(path.join(dir, 'demo-secret-key'), 'utf8').trim()
        assert.ok(publicKey && secretKey, out)
        const identify = (ua: string, canvas: string, storedId: string | null) =>
          post(
            url,
            {
              apiKey: publicKey,
              url: 'https://shop.example/',
              storedId,
              components: components({ userAgent: ua, canvas: { text: canvas, stable: true } }),
            },
            { 'user-agent': ua, origin: url },
          )
        const storedIdStatus = async (requestId: string) => {
          const res = await fetch(`${url}/v1/visits/${requestId}`, { headers: { Auth: secretKey } })
          return ((await res.json()) as { identification: { storedId: string } }).identification.storedId
        }
        const victim = await identify(CHROME_LINUX, 'victim', null)
        assert.equal(victim.status, 200)
        // Several requests at once: the two workers share them.
        const replays = await Promise.all(
          Array.from({ length: 6 }, () => identify(FIREFOX_WINDOWS, 'attacker', victim.json.storedId)),
        )
        for (const r of replays) {
          assert.equal(r.status, 200)
          assert.notEqual(r.json.visitorId, victim.json.visitorId)
          assert.equal(await storedIdStatus(r.json.requestId), 'untrusted')
        }
        const own = await Promise.all(
          Array.from({ length: 4 }, () => identify(CHROME_LINUX, 'victim-moved', victim.json.storedId)),
        )
        for (const r of own) assert.equal(r.json.visitorId, victim.json.visitorId)

        await run(
          process.execPath,
          ['--import', 'tsx', CLI, 'secrets', 'rotate-token-secret', '--grace-days', '0'],
          {
            env,
          },
        )
        await new Promise((r) => setTimeout(r, TOKEN_SECRETS_REFRESH_MS + 500))
        const after = await Promise.all(
          Array.from({ length: 6 }, () => identify(CHROME_LINUX, 'victim-again', victim.json.storedId)),
        )
        for (const r of after) {
          assert.equal(r.status, 200)
          assert.notEqual(r.json.visitorId, victim.json.visitorId, 'a retired secret verifies nothing')
          assert.equal(await storedIdStatus(r.json.requestId), 'invalid')
        }
      } finally {
        child.kill('SIGTERM')
        await new Promise((r) => child.once('exit', r))
        await pg?.drop()
        rmSync(dir, { recursive: true, force: true })
      }
    })
  })
}
