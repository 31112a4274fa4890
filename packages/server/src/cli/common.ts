import { loadConfig } from '../config.js'
import { type Db, openDatabase } from '../store/db.js'
import { migrateToLatest } from '../store/migrations.js'

/** A mistake in the command line: printed with a pointer to --help, exit code 2. */
export class UsageError extends Error {}

/** Options every command that opens the database accepts. */
export const DB_OPTIONS = {
  'data-dir': { type: 'string' },
  'database-url': { type: 'string' },
} as const

/** Opens (and migrates) the database the server would use, runs `fn`, and closes it. */
export async function withDb<T>(
  values: { 'data-dir'?: string | undefined; 'database-url'?: string | undefined },
  fn: (db: Db) => Promise<T>,
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
    await migrateToLatest(db.kysely)
    return await fn(db)
  } finally {
    await db.close()
  }
}

/** `--json` prints the value as one JSON line; otherwise the text. */
export const printer = (json: boolean | undefined) => (value: unknown, text: string) =>
  process.stdout.write(json ? `${JSON.stringify(value)}\n` : `${text}\n`)
