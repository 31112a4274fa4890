import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { createApp } from '../src/store/apps.js'
import type { Db } from '../src/store/db.js'
import { LATEST_MIGRATION, migrateToLatest, pendingMigrations } from '../src/store/migrations.js'
import {
  claimFingerprint,
  findVisit,
  insertVisit,
  listVisitorVisits,
  type VisitRow,
} from '../src/store/visits.js'
import { DIALECTS, dialectName, openTestDb } from './helpers.js'

for (const dialect of DIALECTS) {
  describe(`store (${dialectName(dialect)})`, () => {
    let db: Db
    let appId: string
    before(async () => {
      db = await openTestDb(dialect)
    })
    after(() => db?.close())

    it('applies the migrations, idempotently, leaving none pending', async () => {
      assert.ok((await pendingMigrations(db.kysely)).includes(LATEST_MIGRATION))
      await migrateToLatest(db.kysely)
      await migrateToLatest(db.kysely)
      assert.deepEqual(await pendingMigrations(db.kysely), [])
      appId = (await createApp(db.kysely, { name: 'Store' })).id
    })

    it('a second database migrates on its own while the first exists', async () => {
      // PostgreSQL: another schema's migration tables must not count as this one's.
      const other = await openTestDb(dialect)
      try {
        assert.ok((await pendingMigrations(other.kysely)).length > 0)
        await migrateToLatest(other.kysely)
        assert.deepEqual(await pendingMigrations(other.kysely), [])
        assert.equal((await other.kysely.selectFrom('apps').select('id').execute()).length, 0)
      } finally {
        await other.close()
      }
      assert.deepEqual(await pendingMigrations(db.kysely), [])
    })

    it('concurrent claims of one fingerprint all get the same visitor', async () => {
      const ts = Date.now() * 1000
      const claims = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          claimFingerprint(db.kysely, appId, 'fp-race', `visitor${i}`, ts),
        ),
      )
      assert.equal(new Set(claims).size, 1, claims.join(' '))
      assert.match(claims[0]!, /^visitor\d+$/)
      // Each claim in its own transaction, as the pipeline makes them.
      const inTrx = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          db.kysely
            .transaction()
            .execute((trx) => claimFingerprint(trx, appId, 'fp-race-trx', `visitor${i}`, ts)),
        ),
      )
      assert.equal(new Set(inTrx).size, 1, inTrx.join(' '))
    })

    it('a visit round-trips with its microsecond timestamp intact', async () => {
      // Microseconds since 1970 need 51 bits: past int4, inside Number's exact range.
      const ts = 1_732_570_123_456_789
      const row: VisitRow = {
        request_id: '1732570123456.AbCdEf',
        app_id: appId,
        visitor_id: 'roundtrip',
        ts,
        fingerprint: 'f'.repeat(32),
        url: 'https://shop.example/',
        ip: '127.0.0.1',
        tag: '{"a":1}',
        linked_id: null,
        ip_location: null,
        visitor_details: '{}',
        components: '{}',
        identification: '{}',
        bot: '{}',
      }
      await insertVisit(db.kysely, row)
      await insertVisit(db.kysely, { ...row, request_id: '1732570123456.AbCdEg', ts: ts + 1 })
      const back = await findVisit(db.kysely, appId, row.request_id)
      assert.deepEqual(back, row)
      assert.equal(typeof back?.ts, 'number')
      const older = await listVisitorVisits(db.kysely, appId, 'roundtrip', {
        limit: 10,
        before: { ts: ts + 1, requestId: '1732570123456.AbCdEg' },
      })
      assert.deepEqual(
        older.map((v) => v.ts),
        [ts],
      )
    })
  })
}
