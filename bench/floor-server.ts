// bench:ingest's floor: the least a server answering the agent's identify POST can do. A Fastify route that
// parses the body with the server's own parser, validates it with the server's own ingest schema and
// durably inserts one visit row into the server's own visits table (same migrations, same SQLite pragmas,
// or PostgreSQL with synchronous_commit on), one autocommitted statement per request, prepared once.
// No identification, no enrichment, no answer token. Started by bench/ingest.ts as its own process(es):
//   FLOOR_DATA_DIR=DIR | FLOOR_DATABASE_URL=postgres://…  [FLOOR_WORKERS=N]  node --import tsx bench/floor-server.ts
import cluster from 'node:cluster'
import { randomBytes } from 'node:crypto'
import path from 'node:path'
import SqliteDatabase from 'better-sqlite3'
import Fastify from 'fastify'
import pg from 'pg'
import { parseClientJson } from '../packages/server/src/http/client-json.js'
import { INGEST_BODY_LIMIT, INGEST_BODY_SCHEMA } from '../packages/server/src/http/ingest.js'
import { openDatabase } from '../packages/server/src/store/db.js'
import { migrateToLatest } from '../packages/server/src/store/migrations.js'
import { ensurePartitions } from '../packages/server/src/store/partitions.js'

const pgUrl = process.env.FLOOR_DATABASE_URL
const dataDir = process.env.FLOOR_DATA_DIR ?? ''
const workers = Number(process.env.FLOOR_WORKERS ?? 1)

const COLUMNS =
  'request_id, app_id, visitor_id, ts, fingerprint, url, ip, tag, linked_id, ip_location, visitor_details, components, identification, bot'
const INSERT_SQLITE = `insert into visits (${COLUMNS}) values (${COLUMNS.split(',')
  .map(() => '?')
  .join(', ')})`
const INSERT_PG = `insert into visits (${COLUMNS}) values (${COLUMNS.split(',')
  .map((_, i) => `$${i + 1}`)
  .join(', ')})`

interface Body {
  apiKey?: string
  storedId?: string | null
  url: string
  tag?: unknown
  linkedId?: string
  components: Record<string, unknown>
}

/** Schema migration (and PostgreSQL's partitions) once, before any process serves. */
async function prepareDatabase() {
  const db = openDatabase({ databaseUrl: pgUrl, dataDir })
  try {
    await migrateToLatest(db.kysely)
    if (db.dialect === 'postgres') await ensurePartitions(db.kysely, Date.now())
  } finally {
    await db.close()
  }
}

function insertVisit(): (row: unknown[]) => Promise<void> {
  if (pgUrl) {
    const pool = new pg.Pool({ connectionString: pgUrl, max: 10 })
    pool.on('error', () => {})
    return async (row) => {
      await pool.query({ name: 'floor_insert_visit', text: INSERT_PG, values: row })
    }
  }
  const db = new SqliteDatabase(path.join(dataDir, 'sightline.db'))
  // The server's own pragmas (store/db.ts): WAL, synchronous=NORMAL.
  db.pragma('journal_mode = WAL')
  db.pragma('synchronous = NORMAL')
  db.pragma('busy_timeout = 5000')
  const stmt = db.prepare(INSERT_SQLITE)
  return async (row) => {
    stmt.run(row)
  }
}

async function serve() {
  const insert = insertVisit()
  const app = Fastify({ trustProxy: true, bodyLimit: INGEST_BODY_LIMIT, logger: false })
  app.addContentTypeParser('text/plain', { parseAs: 'string' }, (_req, body, done) => {
    try {
      done(null, parseClientJson(body as string))
    } catch (err) {
      done(err as Error, undefined)
    }
  })
  app.post<{ Body: Body }>('/v1/identify', { schema: { body: INGEST_BODY_SCHEMA } }, async (req) => {
    const b = req.body
    const ts = Date.now() * 1000
    const requestId = `${Math.floor(ts / 1000)}.${randomBytes(4).toString('hex')}`
    const visitorId = b.storedId ? b.storedId.slice(0, 20) : randomBytes(10).toString('hex')
    await insert([
      requestId,
      b.apiKey ?? '',
      visitorId,
      ts,
      'floor',
      b.url,
      req.ip,
      b.tag === undefined ? null : JSON.stringify(b.tag),
      b.linkedId ?? null,
      null,
      '{}',
      JSON.stringify(b.components),
      '{}',
      '{}',
    ])
    return { requestId, visitorId, visitorFound: b.storedId != null, confidence: { score: 1 } }
  })
  const address = await app.listen({ port: 0, host: '127.0.0.1' })
  return { app, address }
}

if (cluster.isPrimary) {
  await prepareDatabase()
  if (workers <= 1) {
    const { app, address } = await serve()
    console.log(`serving at ${address}/`)
    process.on('SIGTERM', () => void app.close().then(() => process.exit(0)))
  } else {
    let listening = 0
    cluster.on('listening', (_w, a) => {
      if (++listening === workers) console.log(`serving at http://127.0.0.1:${a.port}/`)
    })
    // Workers listening on port 0 share one free port (node:cluster).
    for (let i = 0; i < workers; i++) cluster.fork()
    process.on('SIGTERM', () => {
      for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGTERM')
      process.exit(0)
    })
  }
} else {
  const { app } = await serve()
  process.on('SIGTERM', () => void app.close().then(() => process.exit(0)))
}
