import { chmodSync, existsSync, renameSync, rmSync, statSync } from 'node:fs'
import path from 'node:path'
import { parseArgs } from 'node:util'
import SqliteDatabase from 'better-sqlite3'
import { loadConfig } from '../config.js'
import { isPostgresUrl, sqliteFile } from '../store/db.js'
import { DB_OPTIONS, progressLine, UsageError } from './common.js'

const HELP = `sightline backup — a consistent copy of the SQLite database, while the server keeps running

Usage:
  sightline backup --out FILE [--force] [--data-dir DIR] [--database-url URL]

  Copies the database with SQLite's online backup into FILE (written beside it, then renamed, so
  FILE is never half-written), checks the copy, and prints its size. Visits the server answered
  before the backup began are in it. --force replaces an existing FILE.
  Restore: stop the server, put the file in place as DATA_DIR/sightline.db (remove any
  sightline.db-wal and sightline.db-shm beside it), start the server.
  PostgreSQL: use pg_dump and pg_restore (see docs/operations.md).
`

const OPTIONS = {
  ...DB_OPTIONS,
  out: { type: 'string' },
  force: { type: 'boolean' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const

/** Pages per step while nobody writes: about 1% of the database, for the progress line. */
const stepPages = (total: number) => Math.max(256, Math.ceil(total / 100))
/** SQLite restarts a stepped backup whenever another connection writes; then copy the rest in one step. */
const ALL_AT_ONCE = 0x7fffffff

export async function run(argv: string[]): Promise<void> {
  const [first] = argv
  if (first === 'help') return void process.stdout.write(HELP)
  const { values, positionals } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true })
  if (values.help) return void process.stdout.write(HELP)
  if (positionals.length) throw new UsageError(`backup: unexpected ${positionals.join(' ')}`)
  if (!values.out) throw new UsageError('backup needs --out FILE')
  const config = loadConfig(process.env, {
    'data-dir': values['data-dir'],
    'database-url': values['database-url'],
  })
  if (isPostgresUrl(config.databaseUrl))
    throw new UsageError(
      'backup copies SQLite databases; for PostgreSQL run pg_dump --format=custom --file FILE "$DATABASE_URL" ' +
        '(docs/operations.md)',
    )
  const source = sqliteFile({ databaseUrl: config.databaseUrl, dataDir: config.dataDir })
  if (!existsSync(source)) throw new UsageError(`no database at ${source}`)
  const out = path.resolve(values.out)
  if (out === path.resolve(source)) throw new UsageError('--out must not be the database itself')
  if (!existsSync(path.dirname(out))) throw new UsageError(`--out: no directory ${path.dirname(out)}`)
  if (existsSync(out) && !values.force) throw new UsageError(`--out: ${out} exists (--force replaces it)`)

  const started = Date.now()
  const partial = `${out}.partial-${process.pid}`
  const line = progressLine()
  const db = new SqliteDatabase(source, { fileMustExist: true })
  db.pragma('busy_timeout = 5000')
  let restarted = 0
  try {
    let last = Number.POSITIVE_INFINITY
    let oneStep = false
    const result = await db.backup(partial, {
      progress({ totalPages, remainingPages }) {
        if (remainingPages > last) restarted++
        last = remainingPages
        const done = Math.floor((100 * (totalPages - remainingPages)) / Math.max(1, totalPages))
        line.update(`backup: ${done}% of ${totalPages} pages`)
        if (restarted > 0) oneStep = true
        return oneStep ? ALL_AT_ONCE : stepPages(totalPages)
      },
    })
    line.done()
    const copy = new SqliteDatabase(partial, { fileMustExist: true })
    try {
      const check = copy.pragma('quick_check', { simple: true })
      if (check !== 'ok') throw new Error(`the copy failed its check: ${String(check)}`)
      // One self-contained file: no -wal beside it when it is moved or restored.
      copy.pragma('journal_mode = DELETE')
    } finally {
      copy.close()
    }
    // The copy holds the same secrets as the database: only its owner may read it.
    chmodSync(partial, 0o600)
    renameSync(partial, out)
    const bytes = statSync(out).size
    const seconds = (Date.now() - started) / 1000
    const summary = { source, out, pages: result.totalPages, bytes, seconds, restarted }
    process.stdout.write(
      values.json
        ? `${JSON.stringify(summary)}\n`
        : `Backed up ${source} to ${out}: ${(bytes / 1048576).toFixed(1)} MB in ${seconds.toFixed(1)} s.\n`,
    )
  } catch (err) {
    rmSync(partial, { force: true })
    throw err
  } finally {
    db.close()
  }
}
