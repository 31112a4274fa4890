import assert from 'node:assert/strict'
import { test } from 'node:test'
import { assessBot } from '../../src/enrich/bots.js'

const CHROME =
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36'
const HEADLESS =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/124.0.6367.29 Safari/537.36'

test('an ordinary browser', () => {
  assert.deepEqual(assessBot({ userAgent: CHROME, headerUserAgent: CHROME, webdriver: false }), {
    browserSaysItsBot: false,
    browserHeadless: false,
    botProbability: 0,
    reasons: [],
  })
})

test('curl and Googlebot say they are bots', () => {
  for (const ua of [
    'curl/7.88.1',
    'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)',
  ]) {
    const r = assessBot({ userAgent: undefined, headerUserAgent: ua })
    assert.equal(r.browserSaysItsBot, true, ua)
    assert.ok(r.botProbability >= 0.9, ua)
  }
})

test('HeadlessChrome is headless, from the UA or the hint brands', () => {
  const r = assessBot({ userAgent: HEADLESS })
  assert.equal(r.browserHeadless, true)
  assert.ok(r.reasons.some((x) => x.signal === 'headless_chrome'))
  const h = assessBot({
    userAgent: CHROME,
    uaHints: { brands: [{ brand: 'HeadlessChrome', version: '124' }] },
  })
  assert.equal(h.browserHeadless, true)
  assert.equal(h.browserSaysItsBot, false)
})

test('webdriver and a tampered webdriver getter', () => {
  assert.equal(assessBot({ userAgent: CHROME, webdriver: true }).botProbability, 0.8)
  const t = assessBot({ userAgent: CHROME, webdriver: { value: false, native: false } })
  assert.equal(t.botProbability, 0.7)
  assert.deepEqual(t.reasons, [{ signal: 'webdriver_tampered', weight: 0.7 }])
  assert.equal(
    assessBot({ userAgent: CHROME, webdriver: { value: true, native: false } }).botProbability,
    0.94,
  )
})

test('missing UA is suspicious, not an error', () => {
  for (const ua of [undefined, null, '', '   ']) {
    const r = assessBot({ userAgent: ua, headerUserAgent: ua ?? null })
    assert.equal(r.browserSaysItsBot, false)
    assert.equal(r.botProbability, 0.5)
    assert.deepEqual(r.reasons, [{ signal: 'ua_missing', weight: 0.5 }])
  }
  assert.doesNotThrow(() => assessBot(null as never))
})

test('header UA differing from the agent UA', () => {
  const r = assessBot({ userAgent: CHROME, headerUserAgent: CHROME.replace('124', '125') })
  assert.deepEqual(r.reasons, [{ signal: 'ua_mismatch', weight: 0.5 }])
})

test('deterministic and bounded', () => {
  const input = { userAgent: HEADLESS, headerUserAgent: 'curl/8', webdriver: true, uaHints: 'junk' }
  const a = assessBot(input)
  assert.deepEqual(assessBot(input), a)
  assert.ok(a.botProbability <= 1 && a.botProbability >= 0)
  assert.equal(a.botProbability, Math.round(a.botProbability * 100) / 100)
})
