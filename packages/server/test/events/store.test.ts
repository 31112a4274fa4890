import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { Insertable } from 'kysely'
import { loadEvent, loadEvents, toV3Event, toV4Event } from '../../src/events/index.js'
import { createApp } from '../../src/store/apps.js'
import type { Db } from '../../src/store/db.js'
import { VELOCITY_ROW_CAP } from '../../src/store/events.js'
import { migrateToLatest } from '../../src/store/migrations.js'
import type { VisitsTable } from '../../src/store/schema.js'
import { findVisit, insertVisit } from '../../src/store/visits.js'
import { DIALECTS, dialectName, openTestDb } from '../helpers.js'

let APP = ''
let OTHER = ''
const MIN = 60_000_000
const T0 = Date.UTC(2026, 2, 10, 12, 0, 0) * 1000 // µs

let seq = 0
function requestId(ts: number) {
  seq++
  return `${Math.floor(ts / 1000)}.${seq.toString(36).padStart(6, 'a').slice(-6)}`
}

function visit(o: {
  visitorId: string
  ts: number
  ip?: string
  linkedId?: string | null
  country?: string
  app?: string
}): Insertable<VisitsTable> {
  const country = o.country ?? 'US'
  return {
    request_id: requestId(o.ts),
    app_id: o.app ?? APP,
    visitor_id: o.visitorId,
    ts: o.ts,
    fingerprint: 'f'.repeat(32),
    url: 'https://shop.example/',
    ip: o.ip ?? '203.0.113.7',
    tag: null,
    linked_id: o.linkedId ?? null,
    ip_location: JSON.stringify({
      accuracyRadius: null,
      city: { name: null },
      continent: { code: 'NA', name: 'North America' },
      country: { isoCode: country, name: country },
      latitude: 1,
      longitude: 2,
      organization: { domain: null, isp: null, legalName: null, name: null },
      postalCode: null,
      subdivisions: [],
      timeZone: 'America/Chicago',
    }),
    visitor_details: JSON.stringify({ browserName: 'Chrome', incognito: false, userAgent: 'UA', asn: null }),
    components: '{}',
    identification: JSON.stringify({ path: 'fingerprint', confidence: 0.95, reasons: [] }),
    bot: JSON.stringify({ browserSaysItsBot: false, browserHeadless: false, botProbability: 0, reasons: [] }),
    suspect: 0,
    bot_result: 'notDetected',
  }
}

async function addVisitor(db: Db, visitorId: string, first: number, last: number, app = APP) {
  await db.kysely
    .insertInto('visitors')
    .values({ app_id: app, visitor_id: visitorId, first_seen_at: first, last_seen_at: last, profile: null })
    .execute()
}

for (const dialect of DIALECTS) {
  describe(`events store (${dialectName(dialect)})`, () => {
    let db: Db
    before(async () => {
      db = await openTestDb(dialect)
      await migrateToLatest(db.kysely)
      APP = (await createApp(db.kysely, { name: 'events' })).id
      OTHER = (await createApp(db.kysely, { name: 'other' })).id
    })
    after(async () => db?.close())

    it('loadEvent: first/last seen and velocity windows end at the event', async () => {
      const v = 'V'.repeat(20)
      const rows = [
        visit({ visitorId: v, ts: T0 - 30 * 60 * MIN, ip: '198.51.100.1', country: 'DE' }), // 30 h before
        visit({ visitorId: v, ts: T0 - 20 * 60 * MIN, ip: '198.51.100.2', linkedId: 'acct-1' }), // 20 h
        visit({ visitorId: v, ts: T0 - 30 * MIN, ip: '198.51.100.3', country: 'FR', linkedId: 'acct-2' }),
        visit({ visitorId: v, ts: T0 - 2 * MIN, ip: '198.51.100.3', linkedId: 'acct-2' }),
        visit({ visitorId: v, ts: T0, ip: '198.51.100.4', linkedId: 'acct-2' }),
        visit({ visitorId: v, ts: T0 + MIN, ip: '198.51.100.5', country: 'JP' }), // after: never counted
      ]
      await addVisitor(db, v, rows[0]!.ts as number, rows[5]!.ts as number)
      for (const r of rows) await insertVisit(db.kysely, r)
      // Another visitor shares the IP and the linked id.
      await addVisitor(db, 'W'.repeat(20), T0 - MIN, T0 - MIN)
      await insertVisit(
        db.kysely,
        visit({ visitorId: 'W'.repeat(20), ts: T0 - MIN, ip: '198.51.100.4', linkedId: 'acct-2' }),
      )

      const e = await loadEvent(db.kysely, APP, rows[4]!.request_id)
      assert.ok(e)
      assert.equal(e.firstSeenAt, rows[0]!.ts)
      assert.equal(e.lastSeenAt, rows[3]!.ts)
      const vel = e.velocity!
      assert.deepEqual(vel.events, { m5: 2, h1: 3, h24: 4 })
      assert.deepEqual(vel.distinctIp, { m5: 2, h1: 2, h24: 3 })
      assert.deepEqual(vel.distinctCountry, { m5: 1, h1: 2, h24: 2 })
      assert.deepEqual(vel.distinctLinkedId, { m5: 1, h1: 1, h24: 2 })
      assert.deepEqual(vel.ipEvents, { m5: 2, h1: 2, h24: 2 })
      assert.deepEqual(vel.distinctIpByLinkedId, { m5: 2, h1: 2, h24: 2 })
      assert.deepEqual(vel.distinctVisitorIdByLinkedId, { m5: 2, h1: 2, h24: 2 })

      const first = await loadEvent(db.kysely, APP, rows[0]!.request_id)
      assert.equal(first?.lastSeenAt, null)
      assert.equal(first?.velocity?.distinctIpByLinkedId, null)
      assert.ok(toV3Event(first!).products.identification)
      assert.ok(toV4Event(first!).identification)
    })

    it('loadEvents keeps the order and matches loadEvent', async () => {
      const v = 'X'.repeat(20)
      const rows = [0, 1, 2, 3].map((i) => visit({ visitorId: v, ts: T0 + 3 * 24 * 60 * MIN + i * MIN }))
      await addVisitor(db, v, rows[0]!.ts as number, rows[3]!.ts as number)
      for (const r of rows) await insertVisit(db.kysely, r)
      const stored = await Promise.all(
        [3, 0, 2, 1].map((i) => findVisit(db.kysely, APP, rows[i]!.request_id)),
      )
      const batch = await loadEvents(
        db.kysely,
        APP,
        stored.map((r) => r!),
      )
      assert.deepEqual(
        batch.map((e) => e.row.request_id),
        [3, 0, 2, 1].map((i) => rows[i]!.request_id),
      )
      for (const e of batch) assert.deepEqual(e, await loadEvent(db.kysely, APP, e.row.request_id))
      assert.equal(batch[1]!.lastSeenAt, null)
      assert.equal(batch[0]!.lastSeenAt, rows[2]!.ts)
    })

    it('every query on visits bounds ts from below (PostgreSQL reads only the partitions it needs)', async () => {
      const v = 'B'.repeat(20)
      const rows = [0, 1].map((i) =>
        visit({ visitorId: v, ts: T0 + 5 * 24 * 60 * MIN + i * MIN, linkedId: 'acct-b' }),
      )
      await addVisitor(db, v, rows[0]!.ts as number, rows[1]!.ts as number)
      for (const r of rows) await insertVisit(db.kysely, r)
      const seen: string[] = []
      const executor = db.kysely.getExecutor()
      const spy = db.kysely.withPlugin({
        transformQuery(args) {
          seen.push(executor.compileQuery(args.node, args.queryId).sql)
          return args.node
        },
        async transformResult(args) {
          return args.result
        },
      })
      const e = await loadEvent(spy, APP, rows[1]!.request_id)
      assert.equal(e?.lastSeenAt, rows[0]!.ts)
      const onVisits = seen.filter((q) => /from "visits"/.test(q))
      assert.ok(onVisits.length >= 4, onVisits.join('\n'))
      for (const q of onVisits) assert.match(q, /"ts" >=? (\$\d+|\?)/, q)
    })

    it('an empty batch costs nothing', async () => {
      assert.deepEqual(await loadEvents(db.kysely, APP, []), [])
    })

    it('another app is invisible', async () => {
      const other = visit({ visitorId: 'Y'.repeat(20), ts: T0, app: OTHER })
      await insertVisit(db.kysely, other)
      assert.equal(await loadEvent(db.kysely, APP, other.request_id), null)
    })

    it(`velocity windows holding more than ${VELOCITY_ROW_CAP} rows are not served`, async () => {
      const v = 'Z'.repeat(20)
      const end = T0 + 10 * 24 * 60 * MIN
      const rows: Insertable<VisitsTable>[] = []
      // CAP rows within the last 2 hours, 10 more 3 hours before: 1 h is complete, 24 h is not.
      for (let i = 0; i < VELOCITY_ROW_CAP; i++)
        rows.push(visit({ visitorId: v, ts: end - Math.floor((i * 2 * 60 * MIN) / VELOCITY_ROW_CAP) }))
      for (let i = 0; i < 10; i++) rows.push(visit({ visitorId: v, ts: end - 3 * 60 * MIN - i }))
      await addVisitor(db, v, end - 4 * 60 * MIN, end)
      for (let i = 0; i < rows.length; i += 500)
        await db.kysely
          .insertInto('visits')
          .values(rows.slice(i, i + 500))
          .execute()
      const e = await loadEvent(db.kysely, APP, rows[0]!.request_id)
      const events = e!.velocity!.events!
      assert.equal(events.h24, undefined)
      assert.equal(events.h1, Math.ceil(VELOCITY_ROW_CAP / 2))
    })
  })
}
