import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { after, before, describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { FingerprintJsServerApiClient, Region } from '@fingerprintjs/fingerprintjs-pro-server-api'
import { type Kysely, sql } from 'kysely'
import { deleteVisitorData } from '../src/store/deletion.js'
import type { Database } from '../src/store/schema.js'
import { launch } from './browser.js'
import { DIALECTS, dialectName, startServer, TEST_DATABASE_URL, type TestServer } from './helpers.js'
import {
  agentSite,
  browserOf,
  chromiumVisit,
  fetchTo,
  identify,
  NO_LIMITS,
  newApp,
} from './server-api-fixtures.js'

const CLI = fileURLToPath(new URL('../src/cli.ts', import.meta.url))
const run = promisify(execFile)

/** Rows naming the visitor in every table deletion must clear. */
async function rowsOf(db: Kysely<Database>, appId: string, visitorId: string, requestIds: string[]) {
  const count = async (
    table:
      | 'visits'
      | 'visitors'
      | 'fingerprints'
      | 'fingerprint_parts'
      | 'visitor_claims'
      | 'webhook_deliveries',
  ) => {
    const r = await db
      .selectFrom(table)
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('app_id', '=', appId)
      .where('visitor_id', '=', visitorId)
      .executeTakeFirstOrThrow()
    return Number(r.n)
  }
  const nonces = await sql<{ n: number }>`select count(*) as n from payload_nonces
    where app_id = ${appId} and request_id in (${sql.join(requestIds)})`.execute(db)
  return {
    visits: await count('visits'),
    fingerprints: await count('fingerprints'),
    fingerprintParts: await count('fingerprint_parts'),
    visitorClaims: await count('visitor_claims'),
    payloadNonces: Number(nonces.rows[0]?.n),
    webhookDeliveries: await count('webhook_deliveries'),
    visitors: await count('visitors'),
  }
}

async function queueDelivery(db: Kysely<Database>, appId: string, visitorId: string, eventId: string) {
  await db
    .insertInto('webhook_deliveries')
    .values({
      webhook_id: 'wh_test',
      event_id: eventId,
      app_id: appId,
      visitor_id: visitorId,
      event_ts: Number(eventId.split('.')[0]) * 1000,
      status: 'pending',
      attempts: 0,
      // Not due: the dispatcher leaves it alone.
      next_attempt_at: Date.now() + 86_400_000,
      locked_until: 0,
      body: null,
      last_status: null,
      last_error: null,
      created_at: Date.now(),
      delivered_at: null,
    })
    .execute()
}

for (const dialect of DIALECTS) {
  describe(`deleting a visitor's data (${dialectName(dialect)})`, () => {
    let s: TestServer
    before(async () => {
      s = await startServer({ trustProxy: true }, NO_LIMITS, { dialect })
    })
    after(() => s?.close())
    const v1 = (path: string, key: string) => fetch(`${s.url}${path}`, { headers: { Auth: key } })

    it('removes every row naming the visitor; the browser coming back is a new visitor', async () => {
      const db = s.sl.db.kysely
      const app = await newApp(s)
      const site = await agentSite(s, app.publicKey)
      const chromium = await launch({ viewport: { width: 1280, height: 720 } })
      try {
        const first = await chromiumVisit(
          chromium.context.browser()!,
          site.url,
          { linkedId: 'me' },
          chromium.context,
        )
        const second = await chromiumVisit(chromium.context.browser()!, site.url, {}, chromium.context)
        assert.equal(second.visitorId, first.visitorId)
        const gone = first.visitorId
        const other = await identify(s, app, { ip: '198.51.100.60', signals: { hardwareConcurrency: 31 } })
        await queueDelivery(db, app.id, gone, first.requestId)
        await queueDelivery(db, app.id, other.visitorId, other.requestId)
        const ids = [first.requestId, second.requestId]
        const before = await rowsOf(db, app.id, gone, ids)
        for (const [k, n] of Object.entries(before)) assert.ok(n > 0, `${k} has rows to delete`)
        const otherBefore = await rowsOf(db, app.id, other.visitorId, [other.requestId])

        const deleted = await deleteVisitorData(db, app.id, gone)
        assert.deepEqual(deleted, before, 'the counts are what was there')
        assert.deepEqual(
          Object.values(await rowsOf(db, app.id, gone, ids)).filter((n) => n > 0),
          [],
        )
        assert.deepEqual(await rowsOf(db, app.id, other.visitorId, [other.requestId]), otherBefore)
        assert.equal((await v1(`/v1/visitors/${gone}`, app.secretKey)).status, 404)
        for (const id of ids) assert.equal((await v1(`/v1/visits/${id}`, app.secretKey)).status, 404)
        assert.equal(await deleteVisitorData(db, app.id, gone), null)

        // The browser still holds its stored identifier of the deleted visitor.
        const back = await chromiumVisit(chromium.context.browser()!, site.url, {}, chromium.context)
        assert.notEqual(back.visitorId, gone)
        assert.equal(back.visitorFound, false)
        const detail = (await (await v1(`/v1/visits/${back.requestId}`, app.secretKey)).json()) as {
          identification: { storedId: string; reasons: string[] }
        }
        assert.equal(detail.identification.storedId, 'valid')
        assert.ok(detail.identification.reasons.includes('stored identifier names an unknown visitor'))
        assert.equal((await v1(`/v1/visitors/${gone}`, app.secretKey)).status, 404, 'not resurrected')
        const history = (await (
          await v1(`/v1/visitors/${back.visitorId}`, app.secretKey)
        ).json()) as unknown[]
        assert.equal(history.length, 1, 'the new visitor starts with nothing of the old one')
        assert.equal((await rowsOf(db, app.id, gone, ids)).visitors, 0)

        // And the browser now keeps its new identity.
        const again = await chromiumVisit(chromium.context.browser()!, site.url, {}, chromium.context)
        assert.equal(again.visitorId, back.visitorId)
        assert.equal(again.visitorFound, true)
      } finally {
        await chromium.close()
        await site.close()
      }
    })

    it('is scoped to the app: the same visitor id elsewhere is untouched', async () => {
      const app = await newApp(s)
      const other = await newApp(s, 'Other')
      const v = await identify(s, app, { ip: '198.51.100.61', signals: { hardwareConcurrency: 32 } })
      assert.equal(await deleteVisitorData(s.sl.db.kysely, other.id, v.visitorId), null)
      const api = new FingerprintJsServerApiClient({
        apiKey: app.secretKey,
        region: Region.Global,
        fetch: fetchTo(s.url),
      })
      assert.equal((await api.getVisits(v.visitorId)).visits.length, 1)
    })

    describe('sightline visitors delete', () => {
      const dbArgs = () => {
        if (dialect === 'sqlite') return ['--data-dir', s.dataDir]
        const schema = /\(schema (\w+)\)/.exec(s.sl.db.location)?.[1]
        assert.ok(schema, s.sl.db.location)
        const url = new URL(TEST_DATABASE_URL)
        url.searchParams.set('options', `-c search_path=${schema}`)
        return ['--database-url', url.toString()]
      }
      const cli = (args: string[]) =>
        run(process.execPath, ['--import', 'tsx', CLI, 'visitors', ...args, ...dbArgs()], {
          env: { ...process.env, LOG_LEVEL: 'warn' },
        })
      const fails = async (args: string[]) => {
        try {
          await cli(args)
        } catch (err) {
          return err as { code: number; stderr: string }
        }
        throw new Error(`sightline visitors ${args.join(' ')} should have failed`)
      }

      it('deletes and prints the counts (JSON and text)', async () => {
        const app = await newApp(s)
        const who = browserOf(s, app, { hardwareConcurrency: 33 })
        const a = await who({ ip: '198.51.100.62' })
        await who({ ip: '198.51.100.63' })
        const { stdout } = await cli(['delete', a.visitorId, '--app', app.id, '--json'])
        const out = JSON.parse(stdout) as {
          appId: string
          visitorId: string
          deleted: Record<string, number>
        }
        assert.equal(out.appId, app.id)
        assert.equal(out.visitorId, a.visitorId)
        assert.equal(out.deleted.visits, 2)
        assert.equal(out.deleted.visitors, 1)
        assert.ok((out.deleted.fingerprints ?? 0) >= 1)
        assert.equal((await v1(`/v1/visitors/${a.visitorId}`, app.secretKey)).status, 404)

        const b = await identify(s, app, { ip: '198.51.100.64', signals: { hardwareConcurrency: 34 } })
        const text = (await cli(['delete', b.visitorId, '--app', app.id])).stdout
        assert.match(text, new RegExp(`Deleted visitor ${b.visitorId} of app ${app.id}: 1 visits`))
      })

      it('exits 2 with a clear message for an unknown app or visitor, or a bad command line', async () => {
        const app = await newApp(s)
        const unknownVisitor = await fails(['delete', 'AAAAAAAAAAAAAAAAAAAA', '--app', app.id])
        assert.equal(unknownVisitor.code, 2)
        assert.match(unknownVisitor.stderr, /no visitor AAAAAAAAAAAAAAAAAAAA in app/)
        const v = await identify(s, app, { ip: '198.51.100.65', signals: { hardwareConcurrency: 35 } })
        const unknownApp = await fails(['delete', v.visitorId, '--app', 'app_nope'])
        assert.equal(unknownApp.code, 2)
        assert.match(unknownApp.stderr, /no app with id app_nope/)
        assert.equal((await fails(['delete', v.visitorId])).code, 2, '--app is required')
        assert.equal((await fails(['delete', '--app', app.id])).code, 2, 'VISITOR_ID is required')
        assert.equal((await fails(['purge', v.visitorId, '--app', app.id])).code, 2)
        assert.equal((await v1(`/v1/visitors/${v.visitorId}`, app.secretKey)).status, 200, 'nothing deleted')
      })
    })
  })
}
