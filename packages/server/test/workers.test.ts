import assert from 'node:assert/strict'
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { openDatabase } from '../src/store/db.js'
import { components, createPgSchema, DIALECTS, dialectName, post } from './helpers.js'

const CLI = fileURLToPath(new URL('../src/cli.ts', import.meta.url))

function serveWorkers(args: string[], env: NodeJS.ProcessEnv) {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', CLI, 'serve', '--port', '0', '--host', '127.0.0.1', ...args],
    {
      env: { ...process.env, LOG_LEVEL: 'warn', ...env },
    },
  )
  let out = ''
  const ready = new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (c) => {
      out += c
      const m = /serving at (http:\/\/[^/\s]+)\/ with 4 workers/.exec(out)
      if (m?.[1]) resolve(m[1])
    })
    child.stderr.on('data', (c) => {
      out += c
    })
    child.on('exit', (code) => reject(new Error(`serve exited with ${code}: ${out}`)))
  })
  return { child, ready, output: () => out }
}

const exited = (child: ChildProcess) =>
  new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))

for (const dialect of DIALECTS) {
  describe(`4 server processes on one ${dialectName(dialect)} database`, () => {
    it('200 simultaneous first visits from 20 browsers make exactly 20 visitors and 200 visits', async () => {
      const dir = mkdtempSync(path.join(tmpdir(), 'sightline-workers-'))
      const pgSchema = dialect === 'postgres' ? await createPgSchema() : null
      const databaseUrl = pgSchema
        ? `${pgSchema.url}?options=${encodeURIComponent(`-c search_path=${pgSchema.schema}`)}`
        : undefined
      const server = serveWorkers(
        ['--workers', '4', '--data-dir', dir],
        // 200 browsers behind one address at once: past the per-address limit, which is not tested here.
        {
          SIGHTLINE_RATE_LIMIT_IDENTIFY_PER_ADDRESS: '0',
          ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
        },
      )
      try {
        const url = await server.ready
        const publicKey = /public key: (pk_\w+)/.exec(server.output())?.[1]
        assert.ok(publicKey)
        const browsers = Array.from({ length: 20 }, (_, b) =>
          components({
            hardwareConcurrency: b + 1,
            canvas: { text: `browser-${b}`, geometry: 'g', stable: true },
          }),
        )
        const requests = Array.from({ length: 200 }, (_, i) => {
          const b = i % 20
          return post(
            url,
            { apiKey: publicKey, url: 'https://shop.example/', components: browsers[b] },
            { origin: url },
          ).then((r) => ({
            b,
            r,
          }))
        })
        const answers = await Promise.all(requests)
        for (const { r } of answers)
          assert.equal(
            r.status,
            200,
            `${JSON.stringify(r.json)}\nserver log:\n${server.output().slice(-4000)}`,
          )
        const perBrowser = new Map<number, Set<string>>()
        for (const { b, r } of answers) {
          const ids = perBrowser.get(b) ?? new Set<string>()
          ids.add(r.json.visitorId)
          perBrowser.set(b, ids)
        }
        for (const [b, ids] of perBrowser)
          assert.equal(ids.size, 1, `browser ${b} got ${ids.size} visitor ids`)
        assert.equal(new Set(answers.map(({ r }) => r.json.visitorId)).size, 20)

        const db = openDatabase({
          databaseUrl,
          dataDir: dir,
          ...(pgSchema ? { pgSchema: pgSchema.schema } : {}),
        })
        try {
          const count = async (table: 'visitors' | 'visits') =>
            Number(
              (
                await db.kysely
                  .selectFrom(table)
                  .select((eb) => eb.fn.countAll<number>().as('n'))
                  .executeTakeFirstOrThrow()
              ).n,
            )
          assert.equal(await count('visitors'), 20)
          assert.equal(await count('visits'), 200)
        } finally {
          await db.close()
        }
      } finally {
        server.child.kill('SIGTERM')
        assert.equal(await exited(server.child), 0)
        rmSync(dir, { recursive: true, force: true })
        await pgSchema?.drop()
      }
    })
  })
}
