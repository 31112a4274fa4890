import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { after, describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { sql } from 'kysely'
import { ConfigError, loadConfig } from '../src/config.js'
import { issueToken, verifyToken } from '../src/identify/token.js'
import { createSightline } from '../src/server.js'
import { openDatabase } from '../src/store/db.js'
import { initDatabase } from '../src/store/init.js'
import { getSetting } from '../src/store/settings.js'
import { components, post, sharedGeo } from './helpers.js'

const CLI = fileURLToPath(new URL('../src/cli.ts', import.meta.url))
const run = promisify(execFile)
const dirs: string[] = []
const tmp = () => {
  const d = mkdtempSync(path.join(tmpdir(), 'sightline-rest-'))
  dirs.push(d)
  return d
}
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})
const mode = (p: string) => statSync(p).mode & 0o777

describe('data at rest', () => {
  it('creates the data directory 0700 and the database, WAL and SHM files 0600', async () => {
    const dataDir = path.join(tmp(), 'data')
    const db = openDatabase({ dataDir })
    try {
      await initDatabase(db, { demo: true })
      const file = path.join(dataDir, 'sightline.db')
      assert.equal(mode(dataDir).toString(8), '700')
      for (const f of [file, `${file}-wal`, `${file}-shm`]) assert.equal(mode(f).toString(8), '600', f)
    } finally {
      await db.close()
    }
  })

  it('tightens a data directory and database files an older version left readable', async () => {
    const dataDir = tmp()
    chmodSync(dataDir, 0o755)
    const file = path.join(dataDir, 'sightline.db')
    const first = openDatabase({ dataDir })
    await initDatabase(first, { demo: false })
    await first.close()
    chmodSync(file, 0o644)
    writeFileSync(`${file}-wal`, '')
    chmodSync(`${file}-wal`, 0o644)
    const db = openDatabase({ dataDir })
    try {
      await getSetting(db.kysely, 'token_secret')
      assert.equal(mode(dataDir).toString(8), '700')
      for (const f of [file, `${file}-wal`, `${file}-shm`]) assert.equal(mode(f).toString(8), '600', f)
    } finally {
      await db.close()
    }
  })

  it('makes a DATABASE_URL=sqlite: file 0600 too, and leaves its directory alone', async () => {
    const dir = tmp()
    mkdirSync(path.join(dir, 'shared'), { mode: 0o755 })
    const file = path.join(dir, 'shared', 'sl.db')
    const db = openDatabase({ databaseUrl: `sqlite:${file}`, dataDir: dir })
    try {
      await initDatabase(db, { demo: false })
      assert.equal(mode(path.join(dir, 'shared')).toString(8), '755')
      for (const f of [file, `${file}-wal`, `${file}-shm`]) assert.equal(mode(f).toString(8), '600', f)
    } finally {
      await db.close()
    }
  })
})

describe('SQLite durability setting', () => {
  it('runs synchronous=NORMAL by default and FULL when asked (flag or environment)', async () => {
    assert.equal(loadConfig({}).sqliteSynchronous, 'normal')
    assert.equal(loadConfig({ SIGHTLINE_SQLITE_SYNCHRONOUS: 'FULL' }).sqliteSynchronous, 'full')
    assert.equal(loadConfig({}, { 'sqlite-synchronous': 'full' }).sqliteSynchronous, 'full')
    assert.throws(() => loadConfig({ SIGHTLINE_SQLITE_SYNCHRONOUS: 'off' }), ConfigError)
    for (const [synchronous, expected] of [
      [undefined, 1],
      ['normal', 1],
      ['full', 2],
    ] as const) {
      const db = openDatabase({ dataDir: tmp(), synchronous })
      try {
        const { rows } = await sql<{ synchronous: number }>`PRAGMA synchronous`.execute(db.kysely)
        assert.equal(rows[0]?.synchronous, expected, String(synchronous))
      } finally {
        await db.close()
      }
    }
  })

  it('a server started with FULL uses it', async () => {
    const dataDir = tmp()
    const sl = await createSightline(
      loadConfig({ SIGHTLINE_DATA_DIR: dataDir }, { 'sqlite-synchronous': 'full' }),
      {
        logger: false,
        geo: await sharedGeo(),
      },
    )
    try {
      const { rows } = await sql<{ synchronous: number }>`PRAGMA synchronous`.execute(sl.db.kysely)
      assert.equal(rows[0]?.synchronous, 2)
    } finally {
      await sl.close()
    }
  })
})

describe('sightline secrets rotate-token-secret', () => {
  it('rotates with a grace period for identifiers signed by the previous secret', async () => {
    const dataDir = tmp()
    const config = loadConfig({ SIGHTLINE_DATA_DIR: dataDir })
    const start = async () => {
      const sl = await createSightline(config, { logger: false, geo: await sharedGeo() })
      const url = await sl.app.listen({ port: 0, host: '127.0.0.1' })
      return { sl, url }
    }
    let { sl, url } = await start()
    const appId = sl.createdDemo!.id
    const publicKey = sl.createdDemo!.publicKey
    const identify = (storedId: string | null, canvas: string) =>
      post(
        url,
        { apiKey: publicKey, url: 'https://shop.example/', storedId, components: components({ canvas }) },
        { origin: url },
      )
    const first = await identify(null, 'one')
    const secret1 = (await getSetting(sl.db.kysely, 'token_secret'))!
    await sl.close()

    const cli = (args: string[]) =>
      run(process.execPath, [
        '--import',
        'tsx',
        CLI,
        'secrets',
        'rotate-token-secret',
        '--data-dir',
        dataDir,
        ...args,
      ])
    const out = await cli(['--grace-days', '7', '--json'])
    const until = Date.parse(JSON.parse(out.stdout).previousValidUntil)
    assert.ok(Math.abs(until - (Date.now() + 7 * 86_400_000)) < 60_000)

    ;({ sl, url } = await start())
    const secret2 = (await getSetting(sl.db.kysely, 'token_secret'))!
    assert.notEqual(secret2, secret1)
    // Another canvas: only the (old-secret) identifier can carry the visitor over.
    const during = await identify(first.json.storedId, 'two')
    assert.equal(during.json.visitorId, first.json.visitorId)
    assert.equal(
      verifyToken(secret2, appId, during.json.storedId).status,
      'valid',
      're-issued with the new secret',
    )
    await sl.close()

    await cli(['--grace-days', '0'])
    ;({ sl, url } = await start())
    try {
      const old = issueToken(secret2, appId, first.json.visitorId, Date.now())
      const afterGrace = await identify(old, 'three')
      assert.notEqual(afterGrace.json.visitorId, first.json.visitorId)
      const bad = await run(process.execPath, [
        '--import',
        'tsx',
        CLI,
        'secrets',
        'rotate-token-secret',
        '--grace-days',
        'x',
        '--data-dir',
        dataDir,
      ]).catch((e) => e)
      assert.equal(bad.code, 2)
    } finally {
      await sl.close()
    }
  })
})
