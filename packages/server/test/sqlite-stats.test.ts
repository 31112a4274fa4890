import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { sql } from 'kysely'
import type { Db } from '../src/store/db.js'
import { migrateToLatest } from '../src/store/migrations.js'
import { refreshSqliteStats } from '../src/store/partitions.js'
import { openTestDb } from './helpers.js'

// PostgreSQL keeps its own statistics (autovacuum); this is SQLite's equivalent.
describe('SQLite planner statistics', () => {
  let db: Db
  before(async () => {
    db = await openTestDb('sqlite')
    await migrateToLatest(db.kysely)
  })
  after(() => db.close())

  const addVisits = (from: number, n: number) =>
    sql
      .raw(`insert into visits (request_id, app_id, visitor_id, ts, fingerprint, url, ip, linked_id,
          visitor_details, components, identification, bot)
        with recursive k(i) as (select ${from} union all select i + 1 from k where i < ${from + n - 1})
        select 'r' || i, 'app', 'v' || (i % 2000), i * 1000000, 'f', 'https://shop.example/', '10.0.' || (i % 250) || '.1',
          'user-' || (i % 3000), '{}', '{}', '{}', '{}' from k`)
      .execute(db.kysely)
  const plan = async () =>
    (
      await sql
        .raw(`explain query plan select ts, ip from visits where app_id = 'app' and linked_id = 'user-5'
          and ts > 0 and ts <= 99999999999999 order by ts desc limit 5000`)
        .execute(db.kysely)
    ).rows
      .map((r) => (r as { detail: string }).detail)
      .join(' | ')

  it('takes none while visits are few, then analyzes once there are enough, and again when they double', async () => {
    await addVisits(1, 5000)
    assert.equal(await refreshSqliteStats(db.kysely), false)
    await addVisits(5001, 15_000)
    assert.equal(await refreshSqliteStats(db.kysely), true)
    assert.match(await plan(), /visits_app_linked/)
    assert.equal(await refreshSqliteStats(db.kysely), false, 'nothing changed since')
    await addVisits(20_001, 25_000)
    assert.equal(await refreshSqliteStats(db.kysely), true, 'doubled')
  })
})
