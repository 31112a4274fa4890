import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { Ajv, type ValidateFunction } from 'ajv'
import { loadEvent, toV3Event, toV3Visit, toV4Event } from '../src/events/index.js'
import { searchEvents } from '../src/http/server-api-search.js'
import { visitorHistory } from '../src/http/visitors-v1.js'
import { toVisitDetail } from '../src/mappers/v1.js'
import { visitorVisits } from '../src/store/event-search.js'
import { createSealedKey } from '../src/store/sealed-keys.js'
import { findVisit } from '../src/store/visits.js'
import { components, DIALECTS, dialectName, post, startServer, type TestServer } from './helpers.js'
import { GOOGLEBOT_UA, identify, NO_LIMITS, newApp } from './server-api-fixtures.js'

/** What the mapper gives, as plain JSON: what every route served before it had a response schema. */
const plain = (v: unknown) => JSON.parse(JSON.stringify(v))

for (const dialect of DIALECTS) {
  describe(`responses match /openapi.json and lose no field (${dialectName(dialect)})`, () => {
    let s: TestServer
    let doc: any
    const ajv = new Ajv({ strict: false, allErrors: true })
    const validators = new Map<string, ValidateFunction>()
    const seen = new Set<string>()

    /** Validates a real answer against the schema the document publishes for its route and status. */
    async function check(method: string, route: string, url: string, init: RequestInit = {}) {
      const res = await fetch(`${s.url}${url}`, { ...init, method: method.toUpperCase() })
      const text = await res.text()
      const op = doc.paths[route]?.[method]
      assert.ok(op, `${method} ${route} is in /openapi.json`)
      const response = op.responses[String(res.status)]
      assert.ok(response, `${method} ${route} documents status ${res.status} (${text})`)
      const schema = response.content?.['application/json']?.schema
      if (text !== '' || schema) {
        assert.ok(schema, `${method} ${route} ${res.status} has a JSON schema`)
        const key = `${method} ${route} ${res.status}`
        let validate = validators.get(key)
        if (!validate) {
          validate = ajv.compile(schema)
          validators.set(key, validate)
        }
        const body = text === '' ? null : JSON.parse(text)
        assert.ok(validate(body), `${key}: ${ajv.errorsText(validate.errors)} in ${text.slice(0, 2000)}`)
      }
      seen.add(`${method} ${route}`)
      return { status: res.status, text, json: text === '' ? null : JSON.parse(text) }
    }

    const v3 = () => ({ headers: { 'auth-api-key': s.secretKey } })
    const v4 = () => ({ headers: { authorization: `Bearer ${s.secretKey}` } })
    const v1 = () => ({ headers: { auth: s.secretKey } })
    const app = () => ({ publicKey: s.publicKey })
    let first: { requestId: string; visitorId: string; storedId: string }
    let requestIds: string[]

    before(async () => {
      s = await startServer({ trustProxy: true }, NO_LIMITS, { dialect })
      doc = await (await fetch(`${s.url}/openapi.json`)).json()
      first = await identify(s, app(), { ip: '81.2.69.142', tag: { cart: 3 }, linkedId: 'order-1' })
      const again = await identify(s, app(), { ip: '81.2.69.142', storedId: first.storedId, tag: 'plain' })
      const bot = await identify(s, app(), { ip: '2a02:26f0::1', userAgent: GOOGLEBOT_UA })
      const other = await identify(s, app(), { ip: '8.8.8.8', signals: { webdriver: true } })
      requestIds = [first.requestId, again.requestId, bot.requestId, other.requestId]
    })
    after(() => s.close())

    it('POST /v1/identify: plain, extended, sealed and refused answers', async () => {
      const body = (extra: Record<string, unknown>) =>
        JSON.stringify({
          apiKey: s.publicKey,
          url: 'https://shop.example/',
          components: components(),
          ...extra,
        })
      const headers = { 'content-type': 'text/plain', 'x-forwarded-for': '81.2.69.142' }
      const plainAnswer = await check('post', '/v1/identify', '/v1/identify', { headers, body: body({}) })
      assert.deepEqual(Object.keys(plainAnswer.json), [
        'requestId',
        'visitorId',
        'visitorFound',
        'confidence',
        'storedId',
      ])
      const extended = await check('post', '/v1/identify', '/v1/identify', {
        headers,
        body: body({ extendedResult: true, storedId: first.storedId }),
      })
      // Every field of the extended result is served (a response schema drops the fields it lacks).
      const keys = [
        ...['requestId', 'visitorId', 'visitorFound', 'confidence', 'storedId', 'incognito', 'browserName'],
        ...['browserVersion', 'os', 'osVersion', 'device', 'ip', 'ipLocation', 'firstSeenAt', 'lastSeenAt'],
      ]
      assert.deepEqual(Object.keys(extended.json), keys)
      assert.equal(extended.json.ipLocation.country?.code, 'GB', JSON.stringify(extended.json.ipLocation))
      assert.equal(typeof extended.json.lastSeenAt.subscription, 'string', JSON.stringify(extended.json))
      const sealedApp = await newApp(s, 'Sealed')
      await createSealedKey(s.sl.db.kysely, sealedApp.id, 'v4')
      const sealed = await check('post', '/v1/identify', '/v1/identify', {
        headers,
        body: JSON.stringify({
          apiKey: sealedApp.publicKey,
          url: 'https://a.example/',
          components: components(),
        }),
      })
      assert.equal(typeof sealed.json.sealedResult, 'string', JSON.stringify(sealed.json))
      const refused = await check('post', '/v1/identify', '/v1/identify', {
        headers,
        body: JSON.stringify({ apiKey: 'nope', url: 'https://a.example/', components: components() }),
      })
      assert.equal(refused.status, 403)
      const invalid = await check('post', '/v1/identify', '/v1/identify', { headers, body: '{}' })
      assert.equal(invalid.status, 400)
      const r = await post(s.url, { url: 'https://a.example/', components: components() })
      assert.equal(r.status, 401, JSON.stringify(r.json))
    })

    it('v1: the history and the visit detail, exactly as the mappers give them', async () => {
      const db = s.sl.db.kysely
      const history = await check('get', '/v1/visitors/{id}', `/v1/visitors/${first.visitorId}`, v1())
      assert.equal(history.text, JSON.stringify(await visitorHistory(db, s.appId, first.visitorId, {})))
      for (const id of requestIds) {
        const detail = await check('get', '/v1/visits/{requestId}', `/v1/visits/${id}`, v1())
        const row = await findVisit(db, s.appId, id)
        assert.ok(row, `visit ${id} is stored`)
        assert.equal(detail.text, JSON.stringify(toVisitDetail(row)))
      }
      assert.equal((await check('get', '/v1/visitors/{id}', '/v1/visitors/nobody', v1())).status, 404)
      assert.equal((await check('get', '/v1/visits/{requestId}', '/v1/visits/nothing', v1())).status, 404)
      assert.equal((await check('get', '/v1/visitors/{id}', '/v1/visitors/nobody', {})).status, 401)
    })

    it('v3: visits, events, search and related visitors lose no field', async () => {
      const db = s.sl.db.kysely
      for (const id of requestIds) {
        const res = await check('get', '/events/{requestId}', `/events/${id}`, v3())
        const event = await loadEvent(db, s.appId, id)
        assert.ok(event, `event ${id} loads`)
        assert.deepEqual(res.json, plain(toV3Event(event)))
      }
      const visits = await check('get', '/visitors/{id}', `/visitors/${first.visitorId}?limit=1`, v3())
      const page = await visitorVisits(db, s.appId, first.visitorId, { limit: 1 })
      assert.ok(page, 'the visitor has visits')
      assert.deepEqual(
        visits.json.visits,
        plain(
          page.visits.map(({ row, previous }) =>
            toV3Visit(row, { firstSeenAt: Math.min(page.firstSeenAt, Number(row.ts)), lastSeenAt: previous }),
          ),
        ),
      )
      assert.equal(typeof visits.json.paginationKey, 'string', visits.text)
      const search = await check('get', '/events/search', '/events/search?limit=10', v3())
      const expected = await searchEvents(db, s.appId, {}, 10)
      assert.deepEqual(search.json.events, plain(expected.events.map(toV3Event)))
      await check('get', '/related-visitors', `/related-visitors?visitor_id=${first.visitorId}`, v3())
      const put = await check('put', '/events/{requestId}', `/events/${first.requestId}`, {
        headers: { ...v3().headers, 'content-type': 'application/json' },
        body: JSON.stringify({ suspect: true }),
      })
      assert.equal(put.status, 200)
      assert.equal((await check('get', '/events/{requestId}', '/events/none', v3())).status, 404)
      assert.equal((await check('get', '/visitors/{id}', '/visitors/nobody', v3())).status, 404)
      assert.equal((await check('get', '/events/search', '/events/search?limit=10', {})).status, 403)
    })

    it('v4: events and search lose no field', async () => {
      const db = s.sl.db.kysely
      for (const id of requestIds) {
        const res = await check('get', '/v4/events/{eventId}', `/v4/events/${id}`, v4())
        const event = await loadEvent(db, s.appId, id)
        assert.ok(event, `event ${id} loads`)
        assert.deepEqual(res.json, plain(toV4Event(event)))
      }
      const search = await check('get', '/v4/events', '/v4/events?limit=2', v4())
      const expected = await searchEvents(db, s.appId, {}, 2)
      assert.deepEqual(search.json.events, plain(expected.events.map(toV4Event)))
      assert.equal(typeof search.json.pagination_key, 'string', search.text)
      const patch = await check('patch', '/v4/events/{eventId}', `/v4/events/${first.requestId}`, {
        headers: { ...v4().headers, 'content-type': 'application/json' },
        body: JSON.stringify({ linked_id: 'order-2' }),
      })
      assert.equal(patch.status, 200)
      assert.equal((await check('get', '/v4/events/{eventId}', '/v4/events/none', v4())).status, 404)
    })

    it('health, the Demo history, and the routes that are not JSON', async () => {
      await check('get', '/healthz', '/healthz')
      const ready = await check('get', '/readyz', '/readyz')
      assert.equal(ready.json.status, 'ready', ready.text)
      assert.ok(ready.json.checks.geo, `readyz keeps its checks: ${ready.text}`)
      const demo = await post(
        s.url,
        { apiKey: s.demo.publicKey, url: `${s.url}/`, components: components() },
        { origin: s.url },
      )
      assert.equal(demo.status, 200, JSON.stringify(demo.json))
      const history = await check('post', '/demo/history', '/demo/history', {
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ requestId: demo.json.requestId, storedId: demo.json.storedId }),
      })
      assert.equal(history.json.length, 1, history.text)
      assert.equal(
        (
          await check('post', '/demo/history', '/demo/history', {
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ requestId: 'x', storedId: 'y' }),
          })
        ).status,
        404,
      )
      // The agent script and the Demo page are not JSON; the CORS preflight has no body.
      for (const route of Object.keys(doc.paths).filter((r) => r.startsWith('/agent') || r === '/')) {
        const res = await fetch(`${s.url}${route}`)
        assert.equal(res.status, 200, route)
        assert.doesNotMatch(res.headers.get('content-type') ?? '', /json/, route)
        seen.add(`get ${route}`)
      }
      const preflight = await fetch(`${s.url}/v1/identify`, { method: 'OPTIONS' })
      assert.equal(preflight.status, 204)
      seen.add('options /v1/identify')
    })

    it('gives every field of every answer a type and a description', () => {
      const missing = new Set<string>()
      const walk = (schema: any, at: string) => {
        if (!schema || typeof schema !== 'object') return
        for (const [name, field] of Object.entries<any>(schema.properties ?? {})) {
          if (!field.description) missing.add(`${at}.${name}: no description`)
          if (!field.type && Object.keys(field).length > 1) missing.add(`${at}.${name}: no type`)
          walk(field, `${at}.${name}`)
        }
        walk(schema.items, `${at}[]`)
      }
      for (const [route, item] of Object.entries<any>(doc.paths)) {
        for (const [method, op] of Object.entries<any>(item)) {
          for (const [status, response] of Object.entries<any>(op.responses ?? {})) {
            walk(response.content?.['application/json']?.schema, `${method} ${route} ${status}`)
          }
        }
      }
      assert.deepEqual([...missing], [], 'every field is described')
    })

    it('deletes, then every public route has been checked', async () => {
      const v3Delete = await check('delete', '/visitors/{id}', `/visitors/${first.visitorId}`, v3())
      assert.equal(v3Delete.status, 200)
      const other = await identify(s, app(), { ip: '8.8.4.4' })
      const v4Delete = await check(
        'delete',
        '/v4/visitors/{visitorId}',
        `/v4/visitors/${other.visitorId}`,
        v4(),
      )
      assert.equal(v4Delete.status, 200)
      const routes = Object.entries(doc.paths).flatMap(([route, item]) =>
        Object.keys(item as object).map((m) => `${m} ${route}`),
      )
      assert.deepEqual(
        routes.filter((r) => !seen.has(r)),
        [],
        'every route of /openapi.json had a real answer validated',
      )
    })
  })
}
