import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs'
import path from 'node:path'
import SqliteDatabase from 'better-sqlite3'
import {
  CompiledQuery,
  type Driver,
  Kysely,
  type LogEvent,
  PostgresAdapter,
  PostgresDialect,
  SqliteDialect,
} from 'kysely'
import pg from 'pg'
import { preparedName } from './prepared.js'
import type { Database } from './schema.js'

export type Dialect = 'sqlite' | 'postgres'

/** The one way the application asks which database it talks to (migrations.ts keeps its own copy). */
export const isPostgres = <DB>(db: Kysely<DB>) => db.getExecutor().adapter instanceof PostgresAdapter

export interface Db {
  kysely: Kysely<Database>
  dialect: Dialect
  /** Where the data lives, without credentials: safe to log. */
  location: string
  /** For /metrics: failed queries so far, and the PostgreSQL pool's connections. */
  stats(): DbStats
  close(): Promise<void>
}

export interface DbStats {
  errors: number
  pool?: { total: number; idle: number; waiting: number }
}

export interface DbOptions {
  databaseUrl?: string | undefined
  dataDir: string
  poolSize?: number
  /** PostgreSQL schema to use (tests run each in its own). */
  pgSchema?: string
  /** SQLite `synchronous` (docs/security.md: what each survives); default normal. */
  synchronous?: 'normal' | 'full' | undefined
}

/** Tightens a mode we own; someone else's file or directory keeps the mode its owner chose. */
function restrict(file: string, mode: number) {
  try {
    chmodSync(file, mode)
  } catch {}
}

/**
 * The database holds the token secret, webhook secrets and sealed-result keys: only its owner may
 * read it. SQLite gives the -wal and -shm files the database file's mode, so that one is created first.
 */
function privateFiles(file: string) {
  mkdirSync(path.dirname(path.resolve(file)), { recursive: true, mode: 0o700 })
  closeSync(openSync(file, 'a', 0o600))
  for (const f of [file, `${file}-wal`, `${file}-shm`, `${file}-journal`])
    if (existsSync(f)) restrict(f, 0o600)
}

// int8 (bigint) columns hold microsecond timestamps: well inside Number's safe range.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v))

/**
 * Kysely prepares every query afresh; compiling SQL was a quarter of the CPU time of an identification.
 * The queries are few and fixed, so keep their prepared statements.
 */
function withStatementCache(db: SqliteDatabase.Database) {
  const cache = new Map<string, SqliteDatabase.Statement>()
  return {
    close: () => {
      cache.clear()
      db.close()
    },
    prepare(sql: string) {
      let stmt = cache.get(sql)
      if (!stmt) {
        stmt = db.prepare(sql)
        if (cache.size < 500) cache.set(sql, stmt)
      }
      return stmt
    },
  }
}

/**
 * A PostgreSQL client that runs the hot path's statements (store/prepared.ts) as named prepared
 * statements: parsed and planned once per connection instead of at every execution.
 */
class PreparingClient extends pg.Client {
  // pg's query() has a dozen overloads: this forwards them all
  override query(config: any, values?: any, callback?: any): any {
    if (typeof config === 'string' && Array.isArray(values) && callback === undefined) {
      const name = preparedName(config)
      if (name) return super.query({ name, text: config, values })
    }
    return super.query(config, values, callback)
  }
}

/**
 * Transactions take the write lock when they begin (`begin immediate`), waiting for it under
 * busy_timeout. A deferred transaction that reads first fails at its first write with
 * SQLITE_BUSY_SNAPSHOT, without waiting, whenever another process (a worker, `sightline dispatch`)
 * committed meanwhile, and a failed group commit is redone one identification at a time.
 */
class ImmediateSqliteDialect extends SqliteDialect {
  override createDriver(): Driver {
    const driver = super.createDriver()
    driver.beginTransaction = async (connection) => {
      await connection.executeQuery(CompiledQuery.raw('begin immediate'))
    }
    return driver
  }
}

/** The SQLite file the options name: DATABASE_URL's `sqlite:`/`file:` path, or sightline.db in the data dir. */
export function sqliteFile(opts: DbOptions): string {
  const url = opts.databaseUrl?.trim()
  if (!url) return path.join(opts.dataDir, 'sightline.db')
  const m = /^(?:sqlite|file):(?:\/\/)?(.+)$/i.exec(url)
  if (!m?.[1])
    throw new Error(`DATABASE_URL must start with postgres://, sqlite: or file: (got another scheme)`)
  return m[1]
}

export const isPostgresUrl = (url: string | undefined) => /^postgres(ql)?:\/\//i.test(url?.trim() ?? '')

export function openDatabase(opts: DbOptions): Db {
  const url = opts.databaseUrl?.trim()
  let errors = 0
  const log = (event: LogEvent) => {
    if (event.level === 'error') errors++
  }
  if (url && isPostgresUrl(url)) {
    const pool = new pg.Pool({
      connectionString: url,
      max: opts.poolSize ?? 10,
      Client: PreparingClient,
      ...(opts.pgSchema ? { options: `-c search_path=${opts.pgSchema}` } : {}),
    })
    // An idle client losing its connection must not crash the process.
    pool.on('error', () => {})
    const kysely = new Kysely<Database>({ dialect: new PostgresDialect({ pool }), log })
    const u = new URL(url)
    return {
      kysely,
      dialect: 'postgres',
      location: `postgres://${u.host}${u.pathname}`,
      stats: () => ({
        errors,
        pool: { total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount },
      }),
      close: () => kysely.destroy(),
    }
  }
  if (!url) {
    mkdirSync(opts.dataDir, { recursive: true, mode: 0o700 })
    restrict(opts.dataDir, 0o700)
  }
  const file = sqliteFile(opts)
  if (file !== ':memory:') privateFiles(file)
  const sqlite = new SqliteDatabase(file)
  sqlite.pragma('journal_mode = WAL')
  // NORMAL: a commit survives the process dying (kill -9), not the OS or the power failing; FULL
  // syncs the WAL at every commit and survives both.
  sqlite.pragma(`synchronous = ${opts.synchronous === 'full' ? 'FULL' : 'NORMAL'}`)
  sqlite.pragma('busy_timeout = 5000')
  sqlite.pragma('foreign_keys = ON')
  // 64 MB of pages instead of 2: event reads touch many rows of the same visitor, address or linked id.
  sqlite.pragma('cache_size = -65536')
  const kysely = new Kysely<Database>({
    dialect: new ImmediateSqliteDialect({ database: withStatementCache(sqlite) }),
    log,
  })
  return {
    kysely,
    dialect: 'sqlite',
    location: file,
    stats: () => ({ errors }),
    close: () => kysely.destroy(),
  }
}
