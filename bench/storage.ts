// bench:storage — bytes one visit takes on disk, in SQLite and in PostgreSQL, for a realistic agent
// payload (~3 KB, from bench:ingest) and for the largest body the server accepts (64 KB of
// incompressible text in one component). Tables, indexes and (PostgreSQL) TOAST included; the server
// is the built one, fed over HTTP. Prints bytes per visit and the cost of a million visits.
import { randomBytes } from 'node:crypto'
import path from 'node:path'
import Database from 'better-sqlite3'
import pg from 'pg'
import { payload } from './ingest-load.js'
import { createPgSchema, fmt, startSightline } from './lib.js'

const N = Number(process.env.BENCH_VISITS ?? 1000)
const BROWSERS = 250

/** The largest identify body: one component holding as much random base64 as 64 KB allows. */
function largest(apiKey: string, i: number): string {
  const base = JSON.parse(payload(apiKey, i % BROWSERS)) as { components: Record<string, unknown> }
  const room = 64 * 1024 - JSON.stringify(base).length - 64
  base.components.filler = { value: randomBytes(room).toString('base64').slice(0, room), duration: 1 }
  return JSON.stringify(base)
}

async function send(url: string, body: string) {
  const res = await fetch(`${url}/v1/identify`, {
    method: 'POST',
    headers: { 'content-type': 'text/plain' },
    body,
  })
  if (res.status !== 200) throw new Error(`identify answered ${res.status}: ${await res.text()}`)
  await res.arrayBuffer()
}

async function sqliteBytes(dataDir: string): Promise<number> {
  const db = new Database(path.join(dataDir, 'sightline.db'))
  try {
    db.pragma('wal_checkpoint(TRUNCATE)')
    const pages = db.pragma('page_count', { simple: true }) as number
    const free = db.pragma('freelist_count', { simple: true }) as number
    const size = db.pragma('page_size', { simple: true }) as number
    return (pages - free) * size
  } finally {
    db.close()
  }
}

async function pgBytes(url: string, schema: string): Promise<number> {
  const c = new pg.Client({ connectionString: url })
  await c.connect()
  try {
    await c.query(`vacuum analyze`)
    const r = await c.query(
      `select coalesce(sum(pg_total_relation_size(c.oid)), 0)::bigint as n from pg_class c
       join pg_namespace s on s.oid = c.relnamespace where s.nspname = $1 and c.relkind in ('r', 'm', 'p')`,
      [schema],
    )
    return Number(r.rows[0].n)
  } finally {
    await c.end()
  }
}

async function measure(dialect: 'sqlite' | 'postgres', make: (key: string, i: number) => string) {
  const schema = dialect === 'postgres' ? await createPgSchema() : null
  const s = await startSightline(schema ? { DATABASE_URL: schema.url } : {})
  try {
    const bytes = () => (schema ? pgBytes(schema.url, schema.schema) : sqliteBytes(s.dataDir))
    // Warm-up visits first: the empty database's fixed pages are not a visit's cost.
    for (let i = 0; i < 50; i++) await send(s.url, make(s.publicKey, i))
    const before = await bytes()
    for (let i = 50; i < 50 + N; i++) await send(s.url, make(s.publicKey, i))
    return ((await bytes()) - before) / N
  } finally {
    await s.stop()
    await schema?.drop()
  }
}

const rows: string[] = []
for (const dialect of ['sqlite', 'postgres'] as const) {
  for (const [name, make] of [
    ['realistic (~3 KB body)', (key: string, i: number) => payload(key, i % BROWSERS)],
    ['largest (64 KB body)', largest],
  ] as const) {
    const perVisit = await measure(dialect, make)
    rows.push(
      `${dialect.padEnd(8)}  ${name.padEnd(24)}  ${fmt(perVisit / 1024, 1).padStart(6)} KB/visit  ` +
        `${fmt((perVisit * 1e6) / 1024 ** 3, 1).padStart(6)} GB per million visits`,
    )
    console.log(rows.at(-1))
  }
}
console.log(
  `\n${N} visits from ${BROWSERS} browsers after 50 warm-up visits; disk bytes of every table and index`,
)
