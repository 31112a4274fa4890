import assert from 'node:assert/strict'
import { test } from 'node:test'
import { parseVisitorDetails } from '../../src/enrich/user-agent.js'

const UA = {
  chromeMac:
    'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36',
  specMac:
    'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_14_3) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/72.0.3626.119 Safari/537.36',
  chromeWin:
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36',
  firefoxLinux: 'Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0',
  safariIos:
    'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Mobile/15E148 Safari/604.1',
  safariMac:
    'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15',
  edge: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.2478.51',
  headless:
    'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/124.0.6367.29 Safari/537.36',
  chromeAndroid:
    'Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36',
  samsung:
    'Mozilla/5.0 (Linux; Android 13; SM-S908B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/24.0 Chrome/117.0.0.0 Mobile Safari/537.36',
  crios:
    'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/124.0.6367.88 Mobile/15E148 Safari/604.1',
  fxios:
    'Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) FxiOS/125.0 Mobile/15E148 Safari/605.1.15',
  opera:
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 OPR/110.0.0.0',
  yandex:
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/122.0.0.0 YaBrowser/24.4.0.0 Safari/537.36',
  firefoxWin7: 'Mozilla/5.0 (Windows NT 6.1; Win64; x64; rv:115.0) Gecko/20100101 Firefox/115.0',
}

test('the spec example: Chrome 72 on macOS 10.14.3', () => {
  assert.deepEqual(parseVisitorDetails(UA.specMac), {
    browserName: 'Chrome',
    browserFullVersion: '72.0.3626.119',
    browserMajorVersion: '72',
    browserPlatformName: 'Macintosh',
    browserPlatformVersion: '10.14.3',
    browserWebkitFullVersion: '537.36',
    os: 'Mac OS X',
    osVersion: '10.14.3',
    device: 'Other',
  })
})

test('Chrome on macOS: frozen 10.15.7 unless Client Hints say better', () => {
  const d = parseVisitorDetails(UA.chromeMac)
  assert.equal(d.browserPlatformName, 'Macintosh')
  assert.equal(d.browserPlatformVersion, '10.15.7')
  const h = parseVisitorDetails(UA.chromeMac, { platform: 'macOS', platformVersion: '14.4.1' })
  assert.equal(h.browserPlatformVersion, '14.4.1')
})

test('Chrome on Windows 11 via Client Hints', () => {
  const hints = {
    platform: 'Windows',
    platformVersion: '15.0.0',
    fullVersionList: [
      { brand: 'Chromium', version: '124.0.6367.91' },
      { brand: 'Google Chrome', version: '124.0.6367.91' },
      { brand: 'Not-A.Brand', version: '99.0.0.0' },
    ],
  }
  const d = parseVisitorDetails(UA.chromeWin, hints)
  assert.equal(d.browserName, 'Chrome')
  assert.equal(d.browserFullVersion, '124.0.6367.91')
  assert.equal(d.browserMajorVersion, '124')
  assert.equal(d.browserPlatformName, 'Windows')
  assert.equal(d.browserPlatformVersion, '11')
  assert.equal(parseVisitorDetails(UA.chromeWin).browserPlatformVersion, '10')
  assert.equal(
    parseVisitorDetails(UA.chromeWin, { platform: 'Windows', platformVersion: '10.0.0' }).osVersion,
    '10',
  )
  assert.equal(
    parseVisitorDetails(UA.chromeWin, { platform: 'Windows', platformVersion: '0.3.0' }).osVersion,
    '8.1',
  )
  assert.equal(
    parseVisitorDetails(UA.chromeWin, { uaFullVersion: '124.0.6367.60' }).browserFullVersion,
    '124.0.0.0',
  )
  assert.equal(
    parseVisitorDetails(UA.chromeWin, {
      brands: [{ brand: 'Chromium', version: '124' }],
      uaFullVersion: '124.0.6367.60',
    }).browserFullVersion,
    '124.0.6367.60',
  )
})

test('Firefox on Linux', () => {
  const d = parseVisitorDetails(UA.firefoxLinux)
  assert.equal(d.browserName, 'Firefox')
  assert.equal(d.browserFullVersion, '125.0')
  assert.equal(d.browserMajorVersion, '125')
  assert.equal(d.browserPlatformName, 'Linux')
  assert.equal(d.browserPlatformVersion, null)
  assert.equal(d.browserWebkitFullVersion, null)
  assert.equal(d.os, 'Linux')
})

test('Safari on iOS and macOS', () => {
  const d = parseVisitorDetails(UA.safariIos)
  assert.equal(d.browserName, 'Mobile Safari')
  assert.equal(d.browserFullVersion, '17.4.1')
  assert.equal(d.browserPlatformName, 'iPhone')
  assert.equal(d.browserPlatformVersion, '17.4.1')
  assert.equal(d.browserWebkitFullVersion, '605.1.15')
  assert.equal(d.os, 'iOS')
  assert.equal(d.device, 'iPhone')
  const m = parseVisitorDetails(UA.safariMac)
  assert.equal(m.browserName, 'Safari')
  assert.equal(m.browserFullVersion, '17.4')
})

test('Chromium derivatives and iOS wrappers', () => {
  const cases: [string, string, string][] = [
    [UA.edge, 'Edge', '124.0.2478.51'],
    [UA.opera, 'Opera', '110.0.0.0'],
    [UA.yandex, 'Yandex Browser', '24.4.0.0'],
    [UA.samsung, 'Samsung Internet', '24.0'],
    [UA.crios, 'Chrome iOS', '124.0.6367.88'],
    [UA.fxios, 'Firefox iOS', '125.0'],
    [UA.headless, 'Chrome', '124.0.6367.29'],
  ]
  for (const [ua, name, version] of cases) {
    const d = parseVisitorDetails(ua)
    assert.equal(d.browserName, name, ua)
    assert.equal(d.browserFullVersion, version, ua)
  }
  assert.equal(parseVisitorDetails(UA.samsung).device, 'SM-S908B')
  assert.equal(parseVisitorDetails(UA.fxios).browserPlatformName, 'iPad')
  assert.equal(parseVisitorDetails(UA.firefoxWin7).browserPlatformVersion, '7')
})

test('Android: frozen "Android 10; K" is replaced by Client Hints', () => {
  const frozen = parseVisitorDetails(UA.chromeAndroid)
  assert.equal(frozen.browserPlatformName, 'Android')
  assert.equal(frozen.device, null) // "K" is not a model
  const d = parseVisitorDetails(UA.chromeAndroid, {
    platform: 'Android',
    platformVersion: '14.0.0',
    model: 'Pixel 8',
    brands: [
      { brand: 'Chromium', version: '124' },
      { brand: 'Brave', version: '124' },
    ],
  })
  assert.equal(d.browserPlatformVersion, '14.0.0')
  assert.equal(d.device, 'Pixel 8')
  assert.equal(d.browserName, 'Brave')
})

test('non-browsers and empty input give nulls', () => {
  for (const ua of ['curl/7.88.1', '', null, undefined]) {
    const d = parseVisitorDetails(ua)
    assert.ok(
      Object.values(d).every((v) => v === null),
      String(ua),
    )
  }
  const bot = parseVisitorDetails('Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)')
  assert.equal(bot.browserName, null)
})

test('hostile hints are ignored, never thrown on', () => {
  const junk: unknown[] = [
    'x',
    42,
    [],
    { brands: 'x', fullVersionList: [null, 1, { brand: {}, version: 2 }], platform: 7, platformVersion: {} },
    { fullVersionList: [{ brand: 'Google Chrome', version: '<script>' }], uaFullVersion: ['1'] },
    { platform: 'macOS', platformVersion: 'a'.repeat(100_000) },
  ]
  for (const h of junk) {
    const d = parseVisitorDetails(UA.specMac, h as never)
    assert.equal(d.browserName, 'Chrome')
    assert.equal(d.browserFullVersion, '72.0.3626.119')
    assert.equal(d.browserPlatformVersion, '10.14.3')
  }
  assert.doesNotThrow(() => parseVisitorDetails(123 as never, null))
})
