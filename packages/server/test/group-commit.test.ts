import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { type Kysely, sql } from 'kysely'
import type { Dialect } from '../src/store/db.js'
import { GroupCommit, MAX_ATTEMPTS } from '../src/store/group-commit.js'
import { DIALECTS, dialectName, openTestDb } from './helpers.js'

const counter = async (db: Kysely<any>) => {
  await sql`create table gc_test (id integer primary key, n integer not null)`.execute(db)
  await sql`insert into gc_test (id, n) values (1, 0), (2, 0)`.execute(db)
}
const bump = (trx: Kysely<any>, id: number) => sql`update gc_test set n = n + 1 where id = ${id}`.execute(trx)
/** Runs `fn` on a fresh database of the dialect holding a two-row counter table. */
async function withCounter(dialect: Dialect, fn: (db: Kysely<any>) => Promise<void>) {
  const db = await openTestDb(dialect)
  try {
    await counter(db.kysely)
    await fn(db.kysely)
  } finally {
    await db.close()
  }
}
const values = async (db: Kysely<any>) =>
  (await sql<{ n: number }>`select n from gc_test order by id`.execute(db)).rows.map((r) => Number(r.n))

for (const dialect of DIALECTS) {
  describe(`group commit on ${dialectName(dialect)}`, () => {
    const transient = Object.assign(new Error('transient'), {
      code: dialect === 'postgres' ? '40P01' : 'SQLITE_BUSY',
    })

    it('retries a write that failed with a transient error until it commits', () =>
      withCounter(dialect, async (db) => {
        const commit = new GroupCommit(db)
        let calls = 0
        const result = await commit.run(async (trx) => {
          calls++
          await bump(trx, 1)
          // The batch attempt and the first attempt alone fail; the next one commits.
          if (calls <= 2) throw transient
          return 'done'
        })
        assert.equal(result, 'done')
        assert.equal(calls, 3)
        assert.deepEqual(await values(db), [1, 0], 'the failed attempts were rolled back')
      }))

    it('gives up after MAX_ATTEMPTS, and never retries other errors', () =>
      withCounter(dialect, async (db) => {
        const commit = new GroupCommit(db)
        let calls = 0
        await assert.rejects(
          commit.run(async () => {
            calls++
            throw transient
          }),
          /transient/,
        )
        assert.equal(calls, 1 + MAX_ATTEMPTS)
        calls = 0
        await assert.rejects(
          commit.run(async () => {
            calls++
            throw new Error('constraint')
          }),
          /constraint/,
        )
        assert.equal(calls, 2, 'the batch, then once alone')
      }))
  })
}

describe('group commit on PostgreSQL: processes that lock rows in opposite orders', () => {
  it('a deadlock between two batches is retried and both writes commit', () =>
    withCounter('postgres', async (db) => {
      // Two group commits on separate connections stand for two server processes.
      const a = new GroupCommit(db)
      const b = new GroupCommit(db)
      let arrived = 0
      let calls = 0
      let release!: () => void
      const bothHoldOneRow = new Promise<void>((r) => {
        release = r
      })
      const crossed = (first: number, second: number) => async (trx: Kysely<any>) => {
        calls++
        await bump(trx, first)
        if (++arrived === 2) release()
        // Wait until both hold their first row, however long that takes: then each must wait for the other.
        // (The victim's second run finds the barrier passed.)
        await bothHoldOneRow
        await bump(trx, second)
        return first
      }
      const results = await Promise.all([a.run(crossed(1, 2)), b.run(crossed(2, 1))])
      assert.deepEqual(results.sort(), [1, 2])
      // PostgreSQL chose a deadlock victim, and it ran again (more retries when a loaded machine makes the
      // retry collide again: the property is that both commit).
      assert.ok(calls >= 3, `${calls} runs`)
      assert.deepEqual(await values(db), [2, 2])
    }))
})
