import assert from 'node:assert/strict'
import { test } from 'node:test'
import { collect } from '../src/collect.js'
import { COMPONENT_NAMES } from '../src/components.js'
import { errorFor, load } from '../src/index.js'
import { sources } from '../src/sources/index.js'
import { STABLE_COMPONENTS } from '../src/stable.js'

test('collect records values, errors and durations; a hanging source costs only its budget', async (t) => {
  // Durations are read from performance.now(): a clock only the sources move makes them exact, whatever the
  // machine's load. `slow` takes 30 ms of it, `later` (after it) 1000: neither leaks into another's duration.
  let clock = 0
  t.mock.method(performance, 'now', () => clock)
  const start = Date.now()
  const c = await collect({
    budget: 100,
    sources: {
      sync: () => 1,
      undef: () => undefined,
      slow: () => {
        clock += 30
        return 'done'
      },
      throws: () => {
        throw new TypeError('nope')
      },
      async: async () => ({ a: [1] }),
      rejects: () => Promise.reject(new Error('denied')),
      hangs: () => new Promise(() => {}),
      later: () => {
        clock += 1000
        return 'later'
      },
    },
  })
  t.mock.restoreAll()
  // The hanging source was given up on after its budget (timers never fire early), not waited for.
  assert.ok(Date.now() - start >= 99)
  assert.deepEqual(Object.keys(c), ['sync', 'undef', 'slow', 'throws', 'async', 'rejects', 'hangs', 'later'])
  assert.deepEqual(c.sync, { value: 1, duration: 0 })
  assert.deepEqual(c.undef, { value: null, duration: 0 })
  assert.deepEqual(
    c.slow,
    { value: 'done', duration: 30 },
    'sync durations are not inflated by later sources',
  )
  assert.deepEqual(c.later, { value: 'later', duration: 1000 })
  assert.equal((c.throws as { error: string }).error, 'nope')
  assert.deepEqual((c.async as { value: unknown }).value, { a: [1] })
  assert.equal((c.rejects as { error: string }).error, 'denied')
  assert.equal((c.hangs as { error: string }).error, 'timeout')
})

test('every source in node (no DOM) fails softly instead of throwing', async () => {
  const c = await collect()
  assert.deepEqual(Object.keys(c), Object.keys(sources))
})

test('COMPONENT_NAMES lists the registered sources, in registry order', () => {
  assert.deepEqual([...COMPONENT_NAMES], Object.keys(sources))
})

test('STABLE_COMPONENTS names registered sources, none that move with zoom, resize or versions', () => {
  for (const name of STABLE_COMPONENTS) assert.ok(name in sources, name)
  for (const name of ['viewport', 'screenFrame', 'userAgent', 'uaHints', 'timezone', 'screen', 'intlFormat'])
    assert.ok(!(STABLE_COMPONENTS as readonly string[]).includes(name), name)
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

test('speechVoices waits for voiceschanged, at most ~50 ms, once per page, only when voices are missing and can still arrive', async () => {
  const g = globalThis as { window?: unknown }
  const had = 'window' in g
  // A fresh module per case: "once per page" is module state.
  let page = 0
  const freshModule = async () =>
    (await import(
      `../src/sources/speechVoices.js?page=${++page}`
    )) as typeof import('../src/sources/speechVoices.js')
  /** A speechSynthesis whose voices arrive when `voiceschanged` fires (if `fire`), counting listeners. */
  const synth = (opts: { voices?: object[]; canChange?: boolean; fire?: boolean }) => {
    let voices: object[] = opts.voices ?? []
    const s = {
      listens: 0,
      getVoices: () => voices,
      addEventListener(type: string, listener: () => void) {
        assert.equal(type, 'voiceschanged')
        s.listens++
        if (opts.fire)
          setTimeout(() => {
            voices = [{ localService: true }, { localService: false }, { localService: true }]
            listener()
          }, 0)
      },
      ...(opts.canChange === false ? {} : { onvoiceschanged: null }),
    }
    return s
  }
  const run = async (speechVoices: () => Promise<unknown>, s: ReturnType<typeof synth>) => {
    g.window = { speechSynthesis: s }
    const start = Date.now()
    const value = await speechVoices()
    return { value, ms: Date.now() - start }
  }
  try {
    // Voices arrive with the event: the answer carries them (it waited for the event, not a timer).
    const a = await freshModule()
    const arriving = synth({ fire: true })
    assert.deepEqual((await run(a.speechVoices, arriving)).value, { count: 3, local: 2 })
    assert.equal(arriving.listens, 1)

    // They never arrive (headless): it gives up after its timer (never early), and never waits again.
    const b = await freshModule()
    const silent = synth({})
    const waited = await run(b.speechVoices, silent)
    assert.deepEqual(waited.value, { count: 0, local: 0 })
    assert.ok(waited.ms >= 45, `${waited.ms} ms`)
    assert.equal(silent.listens, 1)
    const again = synth({})
    assert.deepEqual((await run(b.speechVoices, again)).value, { count: 0, local: 0 })
    assert.equal(again.listens, 0, 'already waited once: no second wait')

    // No onvoiceschanged, or voices already there: no wait at all.
    const c = await freshModule()
    const cannot = synth({ canChange: false })
    await run(c.speechVoices, cannot)
    assert.equal(cannot.listens, 0, 'no onvoiceschanged: no wait')
    const ready = synth({ voices: [{ localService: true }, { localService: false }] })
    assert.deepEqual((await run(c.speechVoices, ready)).value, { count: 2, local: 1 })
    assert.equal(ready.listens, 0, 'voices already there: no wait')
  } finally {
    if (!had) delete g.window
  }
})
