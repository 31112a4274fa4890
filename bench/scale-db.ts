// Direct database access for bench:scale: a fresh store (SQLite file or PostgreSQL database), bulk loading
// in batched transactions, the few small queries the benchmark needs, and frozen copies of a stage for the
// reference server. The server owns the schema (its migrations create it); this only inserts rows,
// through the parent table `visits`.
import { copyFileSync, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import SqliteDatabase from 'better-sqlite3'
import pg from 'pg'
import type { StageData, VisitorRow, VisitRow } from './scale-data.js'

export type DbKind = 'sqlite' | 'postgres'

export const PG_BASE_URL = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test'

const VISIT_COLUMNS = [
  'request_id',
  'app_id',
  'visitor_id',
  'ts',
  'fingerprint',
  'url',
  'ip',
  'tag',
  'linked_id',
  'ip_location',
  'visitor_details',
  'components',
  'identification',
  'bot',
] as const satisfies readonly (keyof VisitRow)[]

/** A progress bar on stderr: redrawn in place on a terminal, a line every 10% otherwise. */
export class Progress {
  private done = 0
  private readonly start = performance.now()
  private lastDraw = 0
  private lastDecile = -1
  private readonly tty = process.stderr.isTTY === true

  constructor(
    private readonly label: string,
    private readonly total: number,
  ) {}

  tick(n: number): void {
    this.done += n
    const now = performance.now()
    if (this.tty ? now - this.lastDraw > 100 : Math.floor((this.done / this.total) * 10) > this.lastDecile) {
      this.lastDraw = now
      this.lastDecile = Math.floor((this.done / this.total) * 10)
      this.draw(false)
    }
  }

  finish(): number {
    const secs = (performance.now() - this.start) / 1000
    this.draw(true)
    return secs
  }

  private draw(final: boolean): void {
    const secs = Math.max(1e-3, (performance.now() - this.start) / 1000)
    const frac = this.total === 0 ? 1 : Math.min(1, this.done / this.total)
    const rate = this.done / secs
    const width = 28
    const full = Math.round(frac * width)
    const bar = `${'█'.repeat(full)}${'░'.repeat(width - full)}`
    const eta = final ? `in ${clock(secs)}` : `ETA ${rate > 0 ? clock((this.total - this.done) / rate) : '?'}`
    const line = `${this.label} ${bar} ${(frac * 100).toFixed(1).padStart(5)}% ${this.done.toLocaleString('en-US')}/${this.total.toLocaleString('en-US')} rows ${Math.round(rate).toLocaleString('en-US')} rows/s ${eta}`
    if (this.tty) process.stderr.write(`\r\x1b[2K${line}${final ? '\n' : ''}`)
    else process.stderr.write(`${line}\n`)
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b)
  return Math.round(s[s.length >> 1]! * 100) / 100
}

const clock = (secs: number) => {
  const s = Math.max(0, Math.round(secs))
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`
}

export interface BenchDb {
  kind: DbKind
  /** DATABASE_URL for the server. */
  url: string
  /** Where the data lives, for the report (no credentials). */
  location: string
  /** Rows of a small query; `?` placeholders. */
  query<T>(sql: string, params?: unknown[]): Promise<T[]>
  exec(sql: string): Promise<void>
  /** The query plan (PostgreSQL: EXPLAIN ANALYZE, BUFFERS), one line per node. */
  explain(sql: string, params: unknown[]): Promise<string[]>
  /** Median time of `runs` executions of a query, in ms (rows fully read). */
  time(sql: string, params: unknown[], runs: number): Promise<number>
  /**
   * Loads one stage's visitors (first and last seen, no profile) and visits, in time order. Returns the
   * seconds spent waiting for the database (the rest is generating the rows). The identity rows
   * (profiles, candidate indexes, claims, replay keys) are the server's to write: scale-identity.ts.
   */
  load(stage: StageData, progress: Progress): Promise<number>
  /**
   * What a long-running installation would have by now (PostgreSQL: autovacuum's VACUUM/ANALYZE, and
   * the bulk load's dirty pages written out).
   */
  settle(): Promise<void>
  sizeBytes(): Promise<number>
  /** Closes the connection, keeping the data. */
  close(): Promise<void>
  /** Closes the connection and removes the data (file or database, frozen copies included). */
  destroy(): Promise<void>
}

/** A few queries on a database the bench does not load. */
export interface Queryable {
  query<T>(sql: string, params?: unknown[]): Promise<T[]>
  close(): Promise<void>
}

/** A copy of the frozen store, for a reference server. */
export interface StoreCopy {
  url: string
  location: string
  open(): Queryable
  /** Removes the copy (close what open() returned first). */
  drop(): Promise<void>
}

export interface Store {
  /** DATABASE_URL for the server. */
  url: string
  open(): BenchDb
  /** Freezes the store as it is now. Nothing may be connected to it (PostgreSQL's TEMPLATE needs that). */
  freeze(): Promise<void>
  /** A fresh copy of the frozen store. */
  copy(): Promise<StoreCopy>
}

const VISITS_BATCH = 1000
const SMALL_BATCH = 5000

/** A fresh SQLite file in a temp dir; the bulk loader is a second connection beside the server's. */
export async function sqliteStore(): Promise<Store> {
  const dir = mkdtempSync(path.join(tmpdir(), 'sightline-scale-'))
  const file = path.join(dir, 'sightline.db')
  const frozen = path.join(dir, 'frozen.db')
  let copies = 0
  // With every connection closed, the file and its WAL (if one is left) are the whole database.
  const copyDb = (from: string, to: string) => {
    copyFileSync(from, to)
    if (existsSync(`${from}-wal`)) copyFileSync(`${from}-wal`, `${to}-wal`)
  }
  return {
    url: `sqlite:${file}`,
    async freeze() {
      copyDb(file, frozen)
    },
    async copy() {
      const to = path.join(dir, `reference-${++copies}.db`)
      copyDb(frozen, to)
      return {
        url: `sqlite:${to}`,
        location: to,
        open() {
          const db = new SqliteDatabase(to)
          db.pragma('busy_timeout = 300000')
          return {
            async query<T>(sql: string, params: unknown[] = []) {
              return db.prepare(sql).all(...params) as T[]
            },
            async close() {
              db.close()
            },
          }
        },
        async drop() {
          for (const f of [to, `${to}-wal`, `${to}-shm`]) rmSync(f, { force: true })
        },
      }
    },
    open(): BenchDb {
      const db = new SqliteDatabase(file)
      db.pragma('journal_mode = WAL')
      db.pragma('synchronous = NORMAL')
      // The server's sampled ANALYZE (once visits double) holds the write lock: seconds, or much more on a
      // busy machine; a bulk insert waits for it rather than failing.
      db.pragma('busy_timeout = 300000')
      const insVisitor = db.prepare(
        'INSERT INTO visitors (app_id, visitor_id, first_seen_at, last_seen_at) VALUES (?, ?, ?, ?)',
      )
      const insVisit = db.prepare(
        `INSERT INTO visits (${VISIT_COLUMNS.join(', ')}) VALUES (${VISIT_COLUMNS.map(() => '?').join(', ')})`,
      )
      const visitorTx = db.transaction((rows: VisitorRow[]) => {
        for (const r of rows) insVisitor.run(r.app_id, r.visitor_id, r.first_seen_at, r.last_seen_at)
      })
      const visitTx = db.transaction((rows: VisitRow[]) => {
        for (const r of rows) insVisit.run(...VISIT_COLUMNS.map((c) => r[c]))
      })
      return {
        kind: 'sqlite',
        url: `sqlite:${file}`,
        location: file,
        async query<T>(sql: string, params: unknown[] = []) {
          const stmt = db.prepare(sql)
          if (stmt.reader) return stmt.all(...params) as T[]
          stmt.run(...params)
          return []
        },
        async exec(sql: string) {
          db.exec(sql)
        },
        async explain(sql, params) {
          const rows = db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[]
          return rows.map((r) => r.detail)
        },
        async time(sql, params, runs) {
          const stmt = db.prepare(sql)
          const ms: number[] = []
          for (let i = 0; i < runs; i++) {
            const t0 = performance.now()
            stmt.all(...params)
            ms.push(performance.now() - t0)
          }
          return median(ms)
        },
        async load(stage, progress) {
          let dbMs = 0
          const timed = (f: () => void) => {
            const t0 = performance.now()
            f()
            dbMs += performance.now() - t0
          }
          for (let i = 0; i < stage.visitors.length; i += SMALL_BATCH) {
            const rows = stage.visitors.slice(i, i + SMALL_BATCH)
            timed(() => visitorTx(rows))
            progress.tick(rows.length)
          }
          let batch: VisitRow[] = []
          for (const v of stage.visits()) {
            batch.push(v)
            if (batch.length === VISITS_BATCH * 5) {
              const rows = batch
              timed(() => visitTx(rows))
              progress.tick(batch.length)
              batch = []
            }
          }
          const rest = batch
          if (rest.length) timed(() => visitTx(rest))
          progress.tick(rest.length)
          // Leave a small WAL behind, as a server running for months would (it checkpoints as it goes).
          timed(() => db.pragma('wal_checkpoint(TRUNCATE)'))
          return dbMs / 1000
        },
        // A running server refreshes SQLite's planner statistics within a minute of the data doubling
        // (store/partitions.ts): give it that minute.
        async settle() {
          await new Promise((r) => setTimeout(r, 65_000))
        },
        async sizeBytes() {
          let n = 0
          for (const f of [file, `${file}-wal`]) {
            try {
              n += statSync(f).size
            } catch {}
          }
          return n
        },
        async close() {
          db.close()
        },
        async destroy() {
          if (db.open) db.close()
          rmSync(dir, { recursive: true, force: true })
        },
      }
    },
  }
}

/** A value in COPY's text format. */
function copyText(v: string | number | null): string {
  if (v === null) return '\\N'
  if (typeof v === 'number') return String(v)
  return /[\\\t\n\r]/.test(v)
    ? v.replace(/[\\\t\n\r]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r'))
    : v
}

/**
 * COPY … FROM STDIN with `pg` alone: pg hands the query the connection when the server asks for the
 * data (the hook pg-copy-streams uses); this sends it in one piece.
 */
class CopyFrom extends pg.Query {
  constructor(
    text: string,
    private readonly data: string,
    done: (err: Error | undefined) => void,
  ) {
    super(text, (err) => done(err))
  }
  handleCopyInResponse(connection: { sendCopyFromChunk(b: Buffer): void; endCopyFrom(): void }) {
    connection.sendCopyFromChunk(Buffer.from(this.data))
    connection.endCopyFrom()
  }
}

const copyFrom = (client: pg.Client, text: string, data: string) =>
  new Promise<void>((resolve, reject) => {
    client.query(new CopyFrom(text, data, (err) => (err ? reject(err) : resolve())))
  })

/** `?` placeholders → `$1, $2, …`. */
const numbered = (sql: string) => {
  let i = 0
  return sql.replace(/\?/g, () => `$${++i}`)
}

/** A database URL like PG_BASE_URL's, naming another database. */
const pgUrl = (database: string) => {
  const u = new URL(PG_BASE_URL)
  u.pathname = `/${database}`
  return u.toString()
}

/** Runs statements on PG_BASE_URL's database (CREATE / DROP DATABASE cannot run inside the one they copy). */
async function pgAdmin(...statements: string[]) {
  const admin = new pg.Client({ connectionString: PG_BASE_URL })
  await admin.connect()
  try {
    for (const sql of statements) await admin.query(sql)
  } finally {
    await admin.end()
  }
}

/**
 * A fresh database `sightline_bench_<random>` beside PG_BASE_URL's (a whole database, not a schema:
 * `CREATE DATABASE … TEMPLATE` copies databases).
 */
export async function postgresStore(): Promise<Store> {
  const name = `sightline_bench_${Math.random().toString(36).slice(2, 10)}`
  const frozen = `${name}_frozen`
  const created = new Set<string>()
  const create = async (db: string, template?: string) => {
    await pgAdmin(`CREATE DATABASE ${db}${template ? ` TEMPLATE ${template}` : ''}`)
    created.add(db)
  }
  const drop = async (db: string) => {
    await pgAdmin(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`)
    created.delete(db)
  }
  await create(name)
  const url = pgUrl(name)
  let copies = 0
  return {
    url,
    async freeze() {
      await create(frozen, name)
    },
    async copy() {
      const db = `${name}_reference_${++copies}`
      await create(db, frozen)
      return {
        url: pgUrl(db),
        location: `postgres://127.0.0.1:5432/${db}`,
        open() {
          const client = new pg.Client({ connectionString: pgUrl(db) })
          const ready = client.connect()
          return {
            async query<T>(sql: string, params: unknown[] = []) {
              await ready
              return (await client.query(numbered(sql), params)).rows as T[]
            },
            async close() {
              await client.end()
            },
          }
        },
        drop: () => drop(db),
      }
    },
    open(): BenchDb {
      const client = new pg.Client({ connectionString: url })
      const ready = client.connect()
      const q = async (sql: string, params: unknown[] = []) => {
        await ready
        return client.query(numbered(sql), params)
      }
      const copyVisits = `COPY visits (${VISIT_COLUMNS.join(', ')}) FROM STDIN`
      return {
        kind: 'postgres',
        url,
        location: `postgres://127.0.0.1:5432/${name}`,
        async query<T>(sql: string, params: unknown[] = []) {
          return (await q(sql, params)).rows as T[]
        },
        async exec(sql: string) {
          await q(sql)
        },
        async explain(sql, params) {
          const { rows } = await q(`EXPLAIN (ANALYZE, BUFFERS) ${sql}`, params)
          return rows.map((r: Record<string, string>) => r['QUERY PLAN']!)
        },
        async time(sql, params, runs) {
          const ms: number[] = []
          for (let i = 0; i < runs; i++) {
            const t0 = performance.now()
            await q(sql, params)
            ms.push(performance.now() - t0)
          }
          return median(ms)
        },
        async load(stage, progress) {
          await ready
          const t0 = performance.now()
          await client.query('BEGIN')
          for (let i = 0; i < stage.visitors.length; i += SMALL_BATCH) {
            const rows = stage.visitors.slice(i, i + SMALL_BATCH)
            await client.query(
              'INSERT INTO visitors (app_id, visitor_id, first_seen_at, last_seen_at) SELECT * FROM unnest($1::text[], $2::text[], $3::int8[], $4::int8[])',
              [
                rows.map((r) => r.app_id),
                rows.map((r) => r.visitor_id),
                rows.map((r) => r.first_seen_at),
                rows.map((r) => r.last_seen_at),
              ],
            )
            progress.tick(rows.length)
          }
          await client.query('COMMIT')
          let dbMs = performance.now() - t0
          // Visits: COPY … FROM STDIN, 1000 rows per statement and ten per transaction; the next batch is
          // generated while the previous one is being written. (Multi-row INSERT … SELECT unnest($n::text[])
          // managed ~1,500 rows/s here: parsing the escaped 4 MB text[] of components dominated.)
          let inflight: Promise<unknown> | null = null
          let inTx = 0
          const flush = async (batch: VisitRow[]) => {
            let data = ''
            for (const r of batch) data += `${VISIT_COLUMNS.map((c) => copyText(r[c])).join('\t')}\n`
            const t1 = performance.now()
            if (inflight) await inflight
            if (inTx === 0) await client.query('BEGIN')
            dbMs += performance.now() - t1
            inTx++
            const commit = inTx === 10
            if (commit) inTx = 0
            inflight = copyFrom(client, copyVisits, data)
              .then(() => (commit ? client.query('COMMIT') : undefined))
              .then(() => progress.tick(batch.length))
          }
          let batch: VisitRow[] = []
          for (const v of stage.visits()) {
            batch.push(v)
            if (batch.length === VISITS_BATCH) {
              await flush(batch)
              batch = []
            }
          }
          if (batch.length) await flush(batch)
          const t2 = performance.now()
          if (inflight) await inflight
          if (inTx > 0) await client.query('COMMIT')
          dbMs += performance.now() - t2
          return dbMs / 1000
        },
        async settle() {
          // Autovacuum would have vacuumed (visibility map) and analyzed these insert-only tables long
          // before they reached this size; do it now so the planner sees what it would see in production.
          // Every table of this schema (whatever the server's migrations created), not the whole database.
          const { rows } = await q(
            'select tablename from pg_tables where schemaname = current_schema() order by tablename',
          )
          const tables = rows.map((r: { tablename: string }) => `"${r.tablename}"`)
          await q(`VACUUM (ANALYZE) ${tables.join(', ')}`)
          // And write out what the load left dirty now, rather than in spread checkpoints (and kernel
          // writeback) during the measurements, where they would stall the commits of identifications.
          await q('CHECKPOINT')
        },
        async sizeBytes() {
          const { rows } = await q(
            `select coalesce(sum(pg_total_relation_size(c.oid)), 0)::int8 as n from pg_class c
             join pg_namespace n on n.oid = c.relnamespace
             where n.nspname = current_schema() and c.relkind in ('r', 'p', 'm')`,
          )
          return Number(rows[0]?.n ?? 0)
        },
        async close() {
          await client.end()
        },
        async destroy() {
          try {
            await client.end()
          } catch {}
          for (const db of [...created]) await drop(db)
        },
      }
    },
  }
}
