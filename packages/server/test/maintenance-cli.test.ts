import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { after, describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { createApp } from '../src/store/apps.js'
import { openDatabase } from '../src/store/db.js'
import { LATEST_MIGRATION } from '../src/store/migrations.js'
import { insertVisit } from '../src/store/visits.js'
import { createPgSchema, visitRow } from './helpers.js'

const CLI = fileURLToPath(new URL('../src/cli.ts', import.meta.url))
const MIGRATIONS = fileURLToPath(new URL('../src/store/migrations/', import.meta.url))
const run = promisify(execFile)
const work = mkdtempSync(path.join(tmpdir(), 'sightline-maint-'))
after(() => rmSync(work, { recursive: true, force: true }))

const env = { ...process.env, LOG_LEVEL: 'warn' }
const cli = (args: string[], extraEnv: Record<string, string> = {}) =>
  run(process.execPath, ['--import', 'tsx', CLI, ...args], { env: { ...env, ...extraEnv } })
const fails = (args: string[]) =>
  cli(args).then(
    () => assert.fail(`sightline ${args.join(' ')} should have failed`),
    (err: { code: number; stderr: string }) => err,
  )
/** Runs the CLI with a pseudo-terminal as its stdout and stderr (util-linux `script`), as a person at a shell would. */
const onTerminal = async (args: string[]) => {
  const command = [process.execPath, '--import', 'tsx', CLI, ...args].map((a) => `'${a}'`).join(' ')
  const { stdout } = await run('script', ['-qec', command, '/dev/null'], { env })
  return stdout
}

const ALL = readdirSync(MIGRATIONS)
  .filter((f) => f.endsWith('.ts'))
  .map((f) => f.replace(/\.ts$/, ''))
  .sort()

describe('frozen migrations', () => {
  it('each migration is a file of its own that imports nothing but kysely', () => {
    assert.ok(ALL.length >= 5, `migration files: ${ALL.join(', ')}`)
    assert.equal(ALL.at(-1), LATEST_MIGRATION)
    for (const name of ALL) {
      const text = readFileSync(path.join(MIGRATIONS, `${name}.ts`), 'utf8')
      const from = [...text.matchAll(/^\s*(?:import|export)\b[^'"]*?from\s+['"]([^'"]+)['"]/gm)].map(
        (m) => m[1],
      )
      const dynamic = [...text.matchAll(/\bimport\s*\(/g)]
      assert.deepEqual([...new Set(from)], ['kysely'], `${name} imports ${from.join(', ')}`)
      assert.equal(dynamic.length, 0, `${name} imports at run time`)
      assert.match(text, /export async function up\(/, `${name} has up()`)
    }
  })
})

describe('sightline migrate', () => {
  it('lists what is pending, applies it with progress on a terminal, then says the database is up to date (SQLite)', async () => {
    const dataDir = path.join(work, 'migrate-sqlite')
    const status = JSON.parse((await cli(['migrate', '--status', '--json', '--data-dir', dataDir])).stdout)
    assert.deepEqual(status.pending, ALL)
    const shown = await onTerminal(['migrate', '--data-dir', dataDir])
    for (const [i, name] of ALL.entries())
      assert.match(
        shown,
        new RegExp(`database migration ${name} \\(${i + 1} of ${ALL.length}\\): done in [\\d.]+ s`),
      )
    assert.match(shown, new RegExp(`applied ${ALL.join(', ')} in [\\d.]+ s`))
    const again = JSON.parse((await cli(['migrate', '--json', '--data-dir', dataDir])).stdout)
    assert.deepEqual(again.applied, [])
    assert.match((await cli(['migrate', '--data-dir', dataDir])).stdout, /is up to date \(/)
  })

  it('does the same in a PostgreSQL schema, and a piped run prints no progress line', async () => {
    const s = await createPgSchema()
    try {
      const url = new URL(s.url)
      url.searchParams.set('options', `-c search_path=${s.schema}`)
      const { stdout, stderr } = await cli(['migrate', '--json', '--database-url', url.toString()])
      assert.deepEqual(JSON.parse(stdout).applied, ALL)
      assert.equal(stderr, '', 'no progress line when stderr is not a terminal')
      const status = JSON.parse(
        (await cli(['migrate', '--status', '--json', '--database-url', url.toString()])).stdout,
      )
      assert.deepEqual(status.pending, [])
    } finally {
      await s.drop()
    }
  })

  it('refuses what it does not know, without creating a database', async () => {
    const dataDir = path.join(work, 'migrate-typo')
    const err = await fails(['migrate', 'now', '--data-dir', dataDir])
    assert.equal(err.code, 2)
    assert.match(err.stderr, /migrate: unexpected now/)
    assert.equal(existsSync(dataDir), false)
  })
})

describe('sightline retention run', () => {
  const DAY = 86_400_000
  const visit = (appId: string, ms: number, n: number) =>
    visitRow({
      request_id: `${ms}.R${String(n).padStart(5, '0')}`,
      app_id: appId,
      visitor_id: `v${n}`,
      ts: ms * 1000,
    })

  it('counts with --dry-run, then deletes only what is older, showing progress on a terminal (SQLite)', async () => {
    const dataDir = path.join(work, 'retention')
    await cli(['migrate', '--data-dir', dataDir])
    const db = openDatabase({ dataDir })
    const now = Date.now()
    try {
      const app = await createApp(db.kysely, { name: 'Shop', allowedOrigins: null })
      // 12,000 old visits: more than two of the purge's 5,000-row batches.
      for (let i = 0; i < 12_000; i++) await insertVisit(db.kysely, visit(app.id, now - 100 * DAY - i, i))
      for (let i = 0; i < 10; i++) await insertVisit(db.kysely, visit(app.id, now - DAY - i, 20_000 + i))
    } finally {
      await db.close()
    }
    const dry = JSON.parse(
      (await cli(['retention', 'run', '--days', '30', '--dry-run', '--json', '--data-dir', dataDir])).stdout,
    )
    assert.deepEqual({ visits: dry.visits, dryRun: dry.dryRun }, { visits: 12_000, dryRun: true })
    const shown = await onTerminal(['retention', 'run', '--days', '30', '--data-dir', dataDir])
    assert.match(shown, /retention: 5,000 visits deleted/)
    assert.match(shown, /retention: 10,000 visits deleted/)
    assert.match(shown, /Deleted 12,000 visits, 0 visitors and 0 fingerprints older than 30 days/)
    const after = JSON.parse(
      (await cli(['retention', 'run', '--days', '30', '--dry-run', '--json', '--data-dir', dataDir])).stdout,
    )
    assert.equal(after.visits, 0)
    const { stdout } = await cli([
      'retention',
      'run',
      '--days',
      '1',
      '--dry-run',
      '--json',
      '--data-dir',
      dataDir,
    ])
    assert.equal(JSON.parse(stdout).visits, 10, 'the recent visits are still there')
  })

  it('needs a number of days, and a usage error creates nothing', async () => {
    const dataDir = path.join(work, 'retention-typo')
    const noDays = await fails(['retention', 'run', '--data-dir', dataDir])
    assert.equal(noDays.code, 2)
    assert.match(noDays.stderr, /needs --days N/)
    const bad = await fails(['retention', 'run', '--days', '0', '--data-dir', dataDir])
    assert.match(bad.stderr, /--days must be a whole number/)
    const unknown = await fails(['retention', 'purge', '--data-dir', dataDir])
    assert.match(unknown.stderr, /unknown command: retention purge/)
    assert.equal(existsSync(dataDir), false)
  })
})
