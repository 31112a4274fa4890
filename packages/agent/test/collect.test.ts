import assert from 'node:assert/strict'
import { test } from 'node:test'
import { collect } from '../src/collect.js'
import { errorFor, load } from '../src/index.js'
import { sources } from '../src/sources/index.js'
import { STABLE_COMPONENTS } from '../src/stable.js'

const busy = (ms: number) => {
  const end = performance.now() + ms
  while (performance.now() < end);
}

test('collect records values, errors and durations; a hanging source costs only its budget', async () => {
  const start = performance.now()
  const c = await collect({
    budget: 100,
    sources: {
      sync: () => 1,
      undef: () => undefined,
      slow: () => {
        busy(30)
        return 'done'
      },
      throws: () => {
        throw new TypeError('nope')
      },
      async: async () => ({ a: [1] }),
      rejects: () => Promise.reject(new Error('denied')),
      hangs: () => new Promise(() => {}),
    },
  })
  assert.ok(performance.now() - start < 1000)
  assert.deepEqual(Object.keys(c), ['sync', 'undef', 'slow', 'throws', 'async', 'rejects', 'hangs'])
  assert.deepEqual(c.sync, { value: 1, duration: 0 })
  assert.deepEqual(c.undef, { value: null, duration: 0 })
  assert.ok(
    c.slow!.duration >= 29 && c.slow!.duration < 100,
    'sync durations are not inflated by later sources',
  )
  assert.equal((c.throws as { error: string }).error, 'nope')
  assert.deepEqual((c.async as { value: unknown }).value, { a: [1] })
  assert.equal((c.rejects as { error: string }).error, 'denied')
  assert.equal((c.hangs as { error: string }).error, 'timeout')
  assert.ok(c.hangs!.duration >= 99)
})

test('every source in node (no DOM) fails softly instead of throwing', async () => {
  const c = await collect()
  assert.deepEqual(Object.keys(c), Object.keys(sources))
})

test('STABLE_COMPONENTS names registered sources, none that move with zoom, resize or versions', () => {
  for (const name of STABLE_COMPONENTS) assert.ok(name in sources, name)
  for (const name of ['viewport', 'screenFrame', 'userAgent', 'uaHints', 'timezone', 'screen', 'intlFormat'])
    assert.ok(!STABLE_COMPONENTS.includes(name), name)
})

test('errorFor maps statuses to the commercial messages', () => {
  const body = (code: string, message: string) => ({ error: { code, message } })
  assert.equal(errorFor(401, body('TokenRequired', 'x')), 'API key required')
  assert.equal(errorFor(403, body('TokenNotFound', 'x')), 'API key not found')
  assert.equal(errorFor(403, null), 'API key not found')
  assert.equal(errorFor(403, body('OriginNotAllowed', 'x')), 'Not available for this origin')
  assert.equal(errorFor(429, null), 'Too many requests, rate limit exceeded')
  assert.equal(errorFor(400, body('RequestCannotBeParsed', 'invalid body.url')), 'invalid body.url')
  assert.equal(errorFor(502, 'gateway'), 'Request failed')
})

test('load() without apiKey resolves; get() rejects with "API key required"', async () => {
  const agent = await load({} as never)
  await assert.rejects(agent.get(), { message: 'API key required' })
})

test('speechVoices waits at most ~50 ms, once per page, and only when voices are missing and can still arrive', async () => {
  const { speechVoices } = await import('../src/sources/speechVoices.js')
  const g = globalThis as { window?: unknown }
  const had = 'window' in g
  const synth = (extra: object) => ({ getVoices: () => [], addEventListener() {}, ...extra })
  const time = async (speechSynthesis: object) => {
    g.window = { speechSynthesis }
    const start = performance.now()
    const value = await speechVoices()
    return { value, ms: performance.now() - start }
  }
  try {
    const waits = await time(synth({ onvoiceschanged: null }))
    assert.deepEqual(waits.value, { count: 0, local: 0 })
    assert.ok(waits.ms >= 45 && waits.ms < 150, `${waits.ms} ms`)
    assert.ok((await time(synth({ onvoiceschanged: null }))).ms < 10, 'already waited once: no second wait')
    assert.ok((await time(synth({}))).ms < 10, 'no onvoiceschanged: no wait')
    const voices = [{ localService: true }, { localService: false }]
    const ready = await time({ ...synth({ onvoiceschanged: null }), getVoices: () => voices })
    assert.ok(ready.ms < 10, 'voices already there: no wait')
    assert.deepEqual(ready.value, { count: 2, local: 1 })
  } finally {
    if (!had) delete g.window
  }
})
