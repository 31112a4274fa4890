import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { startServer, type TestServer } from './helpers.js'

/** Every public route, as OpenAPI writes it, with the methods it serves. */
const ROUTES: [string, string[]][] = [
  ['/v1/identify', ['post']],
  ['/v1/visitors/{id}', ['get']],
  ['/v1/visits/{requestId}', ['get']],
  ['/visitors/{id}', ['get', 'delete']],
  ['/events/{requestId}', ['get', 'put']],
  ['/events/search', ['get']],
  ['/related-visitors', ['get']],
  ['/v4/events/{eventId}', ['get', 'patch']],
  ['/v4/events', ['get']],
  ['/v4/visitors/{visitorId}', ['delete']],
]

describe('GET /openapi.json', () => {
  let s: TestServer
  let doc: any
  before(async () => {
    s = await startServer()
    const res = await fetch(`${s.url}/openapi.json`)
    assert.equal(res.status, 200)
    assert.match(res.headers.get('content-type') ?? '', /application\/json/)
    doc = await res.json()
  })
  after(() => s.close())

  it('is an OpenAPI 3 document of this server', () => {
    assert.match(doc.openapi, /^3\./)
    assert.equal(doc.info.title, 'Sightline')
    assert.match(doc.info.version, /^\d+\.\d+\.\d+/)
  })

  it('describes every public route with its parameters', () => {
    for (const [route, methods] of ROUTES) {
      const item = doc.paths[route]
      assert.ok(item, `${route} is missing from ${Object.keys(doc.paths).join(', ')}`)
      for (const m of methods) {
        assert.ok(item[m], `${m.toUpperCase()} ${route} is missing`)
        const params = (item[m].parameters ?? []) as { name: string; in: string }[]
        for (const name of route.match(/\{(\w+)\}/g) ?? []) {
          assert.ok(
            params.some((p) => p.in === 'path' && `{${p.name}}` === name),
            `${m.toUpperCase()} ${route} does not describe its path parameter ${name}`,
          )
        }
      }
    }
  })

  it('shows the search filters and the ingest body', () => {
    const search = doc.paths['/events/search'].get.parameters.map((p: { name: string }) => p.name)
    for (const name of [
      'limit',
      'pagination_key',
      'visitor_id',
      'linked_id',
      'ip_address',
      'bot',
      'start',
      'end',
    ]) {
      assert.ok(search.includes(name), `GET /events/search lacks ${name}`)
    }
    const ingest = doc.paths['/v1/identify'].post.requestBody.content
    const schema = Object.values(ingest)[0] as { schema: { properties: Record<string, unknown> } }
    assert.ok(schema.schema.properties.components)
  })

  it('leaves out internal routes', () => {
    assert.equal(doc.paths['/openapi.json'], undefined)
  })
})
