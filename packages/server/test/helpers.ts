import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import pg from 'pg'
import { type Config, loadConfig } from '../src/config.js'
import { type GeoResolver, openGeo } from '../src/enrich/geo.js'
import { createSightline, type Sightline } from '../src/server.js'
import { type CreatedApp, createApp } from '../src/store/apps.js'
import { type Db, type Dialect, openDatabase } from '../src/store/db.js'
import type { VisitRow } from '../src/store/visits.js'

let geo: Promise<GeoResolver> | undefined
/** One geo resolver per test process: loading the data takes a moment. */
export const sharedGeo = () => {
  geo ??= openGeo({})
  return geo
}

/** Every storage backend the store and API tests run on. */
export const DIALECTS: readonly Dialect[] = ['sqlite', 'postgres']
export const dialectName = (d: Dialect) => (d === 'sqlite' ? 'SQLite' : 'PostgreSQL')

/** The PostgreSQL server the postgres-dialect tests use; they fail (never skip) when it is unreachable. */
export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test'

const safeUrl = (url: string) => {
  try {
    const u = new URL(url)
    return `postgres://${u.host}${u.pathname}`
  } catch {
    return '(unparseable TEST_DATABASE_URL)'
  }
}

async function pgClient(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 })
  // A dropped connection must surface as a failed query, not crash the test process.
  client.on('error', () => {})
  try {
    await client.connect()
  } catch (err) {
    await client.end().catch(() => {})
    throw new Error(
      `PostgreSQL tests need a reachable server at ${safeUrl(url)} (set TEST_DATABASE_URL): ${
        err instanceof Error ? err.message : String(err)
      }`,
    )
  }
  return client
}

export interface PgSchema {
  url: string
  schema: string
  drop(): Promise<void>
}

/** A fresh, empty PostgreSQL schema (`sightline_test_<random>`), dropped with everything in it by drop(). */
export async function createPgSchema(url = TEST_DATABASE_URL): Promise<PgSchema> {
  const schema = `sightline_test_${randomBytes(6).toString('hex')}`
  const client = await pgClient(url)
  try {
    await client.query(`CREATE SCHEMA "${schema}"`)
  } finally {
    await client.end()
  }
  return {
    url,
    schema,
    async drop() {
      const c = await pgClient(url)
      try {
        await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`)
      } finally {
        await c.end()
      }
    },
  }
}

/**
 * An open, unmigrated database of the given dialect in a place of its own
 * (a temp directory, or a fresh PostgreSQL schema); close() also removes that place.
 */
export async function openTestDb(dialect: Dialect, dataDir?: string): Promise<Db> {
  if (dialect === 'sqlite') {
    const dir = dataDir ?? mkdtempSync(path.join(tmpdir(), 'sightline-test-'))
    const db = openDatabase({ dataDir: dir })
    return {
      ...db,
      async close() {
        await db.close()
        if (!dataDir) rmSync(dir, { recursive: true, force: true })
      },
    }
  }
  const s = await createPgSchema()
  const db = openDatabase({ databaseUrl: s.url, dataDir: dataDir ?? tmpdir(), pgSchema: s.schema })
  return {
    ...db,
    location: `${db.location} (schema ${s.schema})`,
    async close() {
      try {
        await db.close()
      } finally {
        await s.drop()
      }
    },
  }
}

export interface TestServer {
  sl: Sightline
  url: string
  dataDir: string
  publicKey: string
  secretKey: string
  appId: string
  /** The Demo app this start created (same-origin only). */
  demo: CreatedApp
  close(): Promise<void>
}

export interface StartOptions {
  /** Storage backend; default sqlite (from the config, as in production). */
  dialect?: Dialect
}

export async function startServer(
  overrides: Partial<Config> = {},
  env: NodeJS.ProcessEnv = {},
  opts: StartOptions = {},
): Promise<TestServer> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'sightline-test-'))
  const config = { ...loadConfig({ SIGHTLINE_DATA_DIR: dataDir, ...env }), ...overrides }
  let sl: Sightline
  try {
    // createSightline closes the database it was given when it fails, and with the server.
    const db = opts.dialect === 'postgres' ? await openTestDb('postgres', dataDir) : undefined
    sl = await createSightline(config, { logger: false, geo: await sharedGeo(), ...(db ? { db } : {}) })
  } catch (err) {
    rmSync(dataDir, { recursive: true, force: true })
    throw err
  }
  const url = await sl.app.listen({ port: 0, host: '127.0.0.1' })
  const demo = sl.createdDemo
  if (!demo) throw new Error('expected a Demo app on a fresh database')
  // The Demo key serves only the server's own page; tests post from anywhere, so they get their own app.
  const own = await createApp(sl.db.kysely, { name: 'Test' })
  return {
    sl,
    url,
    dataDir,
    publicKey: own.publicKey,
    secretKey: own.secretKey,
    appId: own.id,
    demo,
    async close() {
      await sl.close()
      rmSync(dataDir, { recursive: true, force: true })
    },
  }
}

export const CHROME_MAC_UA =
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36'

/** Components as a Chrome on macOS would send them. */
export function components(overrides: Record<string, unknown> = {}) {
  const base: Record<string, unknown> = {
    userAgent: CHROME_MAC_UA,
    webdriver: { value: false, native: true },
    timezone: { name: 'America/Chicago', offset: 360 },
    languages: ['en-US', 'en'],
    screen: { width: 1728, height: 1117, colorDepth: 30 },
    hardwareConcurrency: 10,
    platform: 'MacIntel',
    canvas: { text: 'a1b2c3', geometry: 'd4e5f6', stable: true },
    ...overrides,
  }
  return Object.fromEntries(Object.entries(base).map(([k, value]) => [k, { value, duration: 1 }]))
}

export async function post(url: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${url}/v1/identify`, {
    method: 'POST',
    headers: { 'content-type': 'text/plain;charset=UTF-8', 'user-agent': CHROME_MAC_UA, ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  })
  const text = await res.text()
  let json: any
  try {
    json = JSON.parse(text)
  } catch {
    json = text
  }
  return { status: res.status, headers: res.headers, json }
}

/** A stored visit row with empty signals, for tests that exercise the store (ts in µs). */
export const visitRow = (row: Pick<VisitRow, 'request_id' | 'app_id' | 'visitor_id' | 'ts'>): VisitRow => ({
  fingerprint: 'e'.repeat(32),
  url: 'https://shop.example/',
  ip: '127.0.0.1',
  tag: null,
  linked_id: null,
  ip_location: null,
  visitor_details: '{}',
  components: '{}',
  identification: '{}',
  bot: '{}',
  suspect: 0,
  bot_result: 'notDetected',
  ...row,
})
