import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { sql } from 'kysely'
import { createApp } from '../src/store/apps.js'
import type { Db } from '../src/store/db.js'
import { claimVisitor, rememberVisitor, type StoredProfile } from '../src/store/identity.js'
import { LATEST_MIGRATION, migrateToLatest, pendingMigrations } from '../src/store/migrations.js'
import { applyRetention, ensurePartitions, monthStartMicros, partitionName } from '../src/store/partitions.js'
import { findVisit, insertVisit, listVisitorVisits, type VisitRow } from '../src/store/visits.js'
import { DIALECTS, dialectName, openTestDb, visitRow } from './helpers.js'

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
        Array.from({ length: 20 }, (_, i) => claimVisitor(db.kysely, appId, 'fp-race', `visitor${i}`, ts)),
      )
      assert.equal(new Set(claims).size, 1, claims.join(' '))
      assert.match(claims[0]!, /^visitor\d+$/)
      // Each claim in its own transaction, as the pipeline makes them.
      const inTrx = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          db.kysely
            .transaction()
            .execute((trx) => claimVisitor(trx, appId, 'fp-race-trx', `visitor${i}`, ts)),
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
        suspect: 0,
        bot_result: 'notDetected',
      }
      await insertVisit(db.kysely, row)
      await insertVisit(db.kysely, { ...row, request_id: '1732570123456.AbCdEg', ts: ts + 1 })
      await db.kysely
        .insertInto('visitors')
        .values({
          app_id: appId,
          visitor_id: 'roundtrip',
          first_seen_at: ts,
          last_seen_at: ts + 1,
          profile: null,
        })
        .execute()
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
      // Histories leave out the raw signals: most of a row's bytes.
      assert.equal('components' in older[0]!, false)
      assert.deepEqual(await listVisitorVisits(db.kysely, appId, 'nobody', { limit: 10 }), [])
    })

    const visitAt = (ms: number, id: string, visitorId: string): VisitRow =>
      visitRow({ request_id: `${ms}.${id}`, app_id: appId, visitor_id: visitorId, ts: ms * 1000 + 123 })

    it('retention forgets old visits, visitors and fingerprints, and keeps recent ones', async () => {
      const now = Date.now()
      const day = 86_400_000
      if (dialect === 'postgres') {
        // Partitions for the last 14 months; a visit older than all of them lands in visits_default.
        await ensurePartitions(db.kysely, now, 14, 2)
      }
      const old = visitAt(now - 400 * day, 'OldOne', 'retention-old')
      const recent = visitAt(now - 2 * day, 'NewOne', 'retention-new')
      const ancient = visitAt(now - 900 * day, 'Ancien', 'retention-old')
      for (const v of [old, recent, ancient]) await insertVisit(db.kysely, v)
      const profile = (ts: number) =>
        ({
          stable: {},
          browser: 'Chrome',
          major: 131,
          os: 'Linux',
          network: { ip: '127.0.0.1', prefix: '127.0.0.0/24', asn: null, country: null },
          seenAt: ts,
          fingerprint: 'a'.repeat(32),
          parts: ['p0', 'p1', 'p2', 'p3'],
        }) satisfies StoredProfile
      await rememberVisitor(db.kysely, appId, 'retention-old', profile(old.ts), null, old.ts)
      await rememberVisitor(
        db.kysely,
        appId,
        'retention-new',
        { ...profile(recent.ts), fingerprint: 'b'.repeat(32) },
        null,
        recent.ts,
      )
      await claimVisitor(db.kysely, appId, 'old-claim', 'retention-old', old.ts)
      if (dialect === 'postgres') {
        const where = await sql<{ part: string }>`select tableoid::regclass::text as part from visits
          where request_id in (${old.request_id}, ${recent.request_id}, ${ancient.request_id}) order by ts`.execute(
          db.kysely,
        )
        assert.deepEqual(
          where.rows.map((r) => r.part.replace(/^.*\./, '')),
          [
            'visits_default',
            partitionName(monthStartMicros(old.ts / 1000)),
            partitionName(monthStartMicros(recent.ts / 1000)),
          ],
        )
      }
      const r = await applyRetention(db.kysely, 30, now)
      assert.equal(await findVisit(db.kysely, appId, old.request_id), undefined)
      assert.ok(await findVisit(db.kysely, appId, recent.request_id))
      // retention-old, and the round-trip test's visitor from 2024.
      assert.equal(r.deletedVisitors, 2)
      assert.equal(r.deletedFingerprints, 1)
      const parts = await db.kysely
        .selectFrom('fingerprint_parts')
        .select('visitor_id')
        .where('app_id', '=', appId)
        .execute()
      assert.ok(parts.every((p) => p.visitor_id !== 'retention-old'))
      assert.ok(parts.some((p) => p.visitor_id === 'retention-new'))
      const claims = await db.kysely
        .selectFrom('visitor_claims')
        .select('claim')
        .where('claim', '=', 'old-claim')
        .execute()
      assert.equal(claims.length, 0)
      if (dialect === 'postgres') {
        // Whole partitions: the 400-day-old month went; visits_default is never dropped, its old rows are
        // deleted (the 900-day-old visit and the round-trip test's visits from 2024).
        assert.ok(r.droppedPartitions.includes(partitionName(monthStartMicros(old.ts / 1000))))
        assert.ok(!r.droppedPartitions.includes('visits_default'))
        assert.ok(!r.droppedPartitions.includes(partitionName(monthStartMicros(now))))
        assert.equal(r.deletedVisits, 3)
      } else {
        // These two, and the round-trip test's visits from 2024.
        assert.equal(r.deletedVisits, 4)
      }
      // On both databases: the expired visits are gone, whichever table held them.
      for (const gone of [old, ancient]) {
        assert.equal(await findVisit(db.kysely, appId, gone.request_id), undefined)
        const rows = await db.kysely
          .selectFrom('visits')
          .select('request_id')
          .where('request_id', '=', gone.request_id)
          .execute()
        assert.deepEqual(rows, [])
      }
      const left = await db.kysely.selectFrom('visits').select(['request_id', 'ts']).execute()
      assert.ok(left.some((v) => v.request_id === recent.request_id))
      assert.ok(
        left.every((v) => v.ts >= (now - 30 * day) * 1000),
        left.map((v) => v.request_id).join(' '),
      )
    })
  })
}
