import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { createApp } from '../src/store/apps.js'
import type { Db } from '../src/store/db.js'
import { type Cursor, parseCidr, type SearchFilter, searchVisitors } from '../src/store/event-search.js'
import { migrateToLatest } from '../src/store/migrations.js'
import { daySummaries, forgetSummaries, US_PER_DAY } from '../src/store/summaries.js'
import type { VisitRow } from '../src/store/visits.js'
import { DIALECTS, dialectName, openTestDb, visitRow } from './helpers.js'

/** Ranges of more visits than this are read by time: 10.1.0.0/16 is, 10.2.0.0/16 is not. */
const SPARSE = 5000

/** Every visitor once, on its newest visit matching `keep`, newest first: what searchVisitors must give. */
function expected(rows: VisitRow[], keep: (r: VisitRow) => boolean): string[] {
  const sorted = rows
    .filter(keep)
    .sort((a, b) => Number(b.ts) - Number(a.ts) || (a.request_id < b.request_id ? 1 : -1))
  const seen = new Set<string>()
  const out: string[] = []
  for (const r of sorted) {
    if (seen.has(r.visitor_id)) continue
    seen.add(r.visitor_id)
    out.push(r.request_id)
  }
  return out
}

/** Pages through searchVisitors; a visitor shown on an earlier page is skipped, as the reader would. */
async function all(
  db: Db,
  appId: string,
  f: SearchFilter,
  limit: number,
  sparse?: number,
): Promise<string[]> {
  const out: string[] = []
  const seen = new Set<string>()
  let after: Cursor | undefined
  for (let i = 0; i < 1000; i++) {
    const page = await searchVisitors(db.kysely, appId, f, limit, after, 5000, sparse)
    for (const r of page.rows) {
      if (seen.has(r.visitor_id)) continue
      seen.add(r.visitor_id)
      out.push(r.request_id)
    }
    if (!page.next) return out
    after = page.next
  }
  throw new Error('no last page')
}

for (const dialect of DIALECTS) {
  describe(`dashboard store (${dialectName(dialect)})`, () => {
    let db: Db
    let appId: string
    const rows: VisitRow[] = []
    before(async () => {
      db = await openTestDb(dialect)
      await migrateToLatest(db.kysely)
      appId = (await createApp(db.kysely, { name: 'Search' })).id
      const now = Date.now() * 1000
      // 5,200 visits in 10.1.0.0/16 (more than the sparse read takes when told 5,000), 40 in 10.2.0.0/16, and one
      // IPv6 visit; visitors come back several times.
      for (let i = 0; i < 5241; i++) {
        const ip = i < 5200 ? `10.1.${i % 7}.${i % 250}` : i < 5240 ? `10.2.${i % 3}.9` : '2001:db8::1'
        rows.push({
          ...visitRow({
            request_id: `r${String(i).padStart(5, '0')}`,
            app_id: appId,
            visitor_id: `v${i % 900}`,
            ts: now - i * 1_000_000,
          }),
          ip,
          linked_id: i % 5 === 0 ? `acct-${i % 3}` : null,
          bot_result: i % 11 === 0 ? 'bad' : 'notDetected',
        })
      }
      for (let i = 0; i < rows.length; i += 500)
        await db.kysely
          .insertInto('visits')
          .values(rows.slice(i, i + 500))
          .execute()
    })
    after(() => db?.close())

    for (const [name, cidr] of [
      ['a dense range (read by time)', '10.1.0.0/16'],
      ['a sparse range (read through the address index)', '10.2.0.0/16'],
      ['a sparse range off octet bounds', '10.2.0.0/23'],
      ['a dense range off octet bounds', '10.1.0.0/22'],
    ] as const) {
      it(`lists each visitor once per page, newest first, for ${name}`, async () => {
        const range = parseCidr(cidr)!
        const { cidrContains } = await import('../src/store/event-search.js')
        const want = expected(rows, (r) => cidrContains(range, r.ip))
        assert.deepEqual(await all(db, appId, { ip: range }, 50, SPARSE), want)
        const { rows: first } = await searchVisitors(
          db.kysely,
          appId,
          { ip: range },
          50,
          undefined,
          5000,
          SPARSE,
        )
        assert.deepEqual(
          first.map((r) => r.request_id),
          want.slice(0, 50),
        )
      })
    }

    it('combines a range with a linked id and a bot verdict', async () => {
      const range = parseCidr('10.1.0.0/16')!
      const f: SearchFilter = { ip: range, linkedId: 'acct-1', bot: 'bad' }
      const want = expected(
        rows,
        (r) => r.ip.startsWith('10.1.') && r.linked_id === 'acct-1' && r.bot_result === 'bad',
      )
      assert.ok(want.length > 0, 'the population has such visits')
      assert.deepEqual(await all(db, appId, f, 10, 5000), want)
      assert.deepEqual(await all(db, appId, f, 10), want, 'with the default sparse bound')
    })

    it('sums days once and forgets them when their visits change', async () => {
      const nowUs = Date.now() * 1000
      const today = Math.floor(nowUs / US_PER_DAY)
      const old = {
        ...visitRow({
          request_id: 'old-1',
          app_id: appId,
          visitor_id: 'vold',
          ts: (today - 3) * US_PER_DAY + 5,
        }),
        ip: '8.8.8.8',
      }
      await db.kysely.insertInto('visits').values(old).execute()
      const first = await daySummaries(db.kysely, appId, today - 3, today - 3, nowUs)
      assert.equal(first.get(today - 3)?.visits, 1)
      await db.kysely.deleteFrom('visits').where('request_id', '=', 'old-1').execute()
      const kept = await daySummaries(db.kysely, appId, today - 3, today - 3, nowUs)
      assert.equal(kept.get(today - 3)?.visits, 1, 'a finished day is read from its kept sum')
      await forgetSummaries(db.kysely, appId, today - 3, today - 3)
      const again = await daySummaries(db.kysely, appId, today - 3, today - 3, nowUs)
      assert.equal(again.get(today - 3)?.visits, 0, 'a forgotten day is summed again')
    })
  })
}
