import type { FastifyBaseLogger } from 'fastify'
import { type Config, loadConfig } from '../config.js'
import { type Db, openDatabase } from '../store/db.js'
import { type Initialized, initDatabase, waitForDatabase } from '../store/init.js'
import { type MigrationProgress, migrateToLatest } from '../store/migrations.js'

/** A mistake in the command line: printed with a pointer to --help, exit code 2. */
export class UsageError extends Error {}

/** Options every command that opens the database accepts. */
export const DB_OPTIONS = {
  'data-dir': { type: 'string' },
  'database-url': { type: 'string' },
} as const

/**
 * A progress line for long jobs: on a terminal it rewrites itself on stderr; elsewhere it is silent,
 * so piped output and logs stay clean.
 */
export function progressLine(stream: NodeJS.WriteStream = process.stderr) {
  const tty = stream.isTTY === true
  return {
    tty,
    /** Replaces the current line. */
    update(text: string) {
      if (tty) stream.write(`\r\x1b[K${text}`)
    },
    /** Clears the line, and leaves `text` on a line of its own if given. */
    done(text?: string) {
      if (tty) stream.write(`\r\x1b[K${text ? `${text}\n` : ''}`)
    },
  }
}

/** Shows each migration on a terminal while it runs (with its elapsed time), then how long it took. */
export function migrationProgress(): (p: MigrationProgress) => void {
  const line = progressLine()
  let timer: NodeJS.Timeout | undefined
  return (p) => {
    clearInterval(timer)
    const what = `database migration ${p.name} (${p.index} of ${p.total})`
    if (p.phase === 'done') return line.done(`${what}: done in ${(p.ms / 1000).toFixed(1)} s`)
    const started = Date.now()
    line.update(`${what}…`)
    if (line.tty) {
      timer = setInterval(() => line.update(`${what}… ${Math.round((Date.now() - started) / 1000)} s`), 1000)
      timer.unref()
    }
  }
}

/** Opens (and migrates, showing progress on a terminal) the database the server would use, runs `fn`, and closes it. */
export async function withDb<T>(
  values: { 'data-dir'?: string | undefined; 'database-url'?: string | undefined },
  fn: (db: Db) => Promise<T>,
  opts: { migrate?: boolean } = {},
): Promise<T> {
  const config = loadConfig(process.env, {
    'data-dir': values['data-dir'],
    'database-url': values['database-url'],
  })
  const db = openDatabase({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    synchronous: config.sqliteSynchronous,
  })
  try {
    if (opts.migrate !== false) await migrateToLatest(db.kysely, migrationProgress())
    return await fn(db)
  } finally {
    await db.close()
  }
}

/** `--json` prints the value as one JSON line; otherwise the text. */
export const printer = (json: boolean | undefined) => (value: unknown, text: string) =>
  process.stdout.write(json ? `${JSON.stringify(value)}\n` : `${text}\n`)

/**
 * A small pool on the configured database for a process that serves no requests (the `--workers`
 * primary, `sightline dispatch`): waited for and initialised, closed again when that fails.
 */
export async function openInitialized(
  config: Config,
  log: FastifyBaseLogger,
  demo: boolean,
): Promise<{ db: Db; init: Initialized }> {
  const db = openDatabase({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    poolSize: 2,
    synchronous: config.sqliteSynchronous,
  })
  try {
    await waitForDatabase(db, log)
    return { db, init: await initDatabase(db, { demo, log }) }
  } catch (err) {
    await db.close()
    throw err
  }
}
