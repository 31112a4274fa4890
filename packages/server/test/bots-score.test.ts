// The server-side score on its own: groups, caps, contradictions, and robustness to junk.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { assessBot, BOT_GROUPS, BOT_WEIGHTS } from '../src/enrich/bots.js'

const LINUX_UA =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36'
const WIN_UA =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36'
const wrap = (o: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(o).map(([k, value], i) => [k, { value, duration: i }]))
const hints = (platform: string) => ({
  brands: [{ brand: 'Chromium', version: '156' }],
  mobile: false,
  platform,
  uaFullVersion: '156.0.8078.108',
  fullVersionList: [{ brand: 'Chromium', version: '156.0.8078.108' }],
})
/** A person on a VM: headful Chromium under Xvfb, no GPU, no voices, no devices, no taskbar. */
const person = (o: Record<string, unknown> = {}) =>
  wrap({
    userAgent: LINUX_UA,
    uaHints: hints('Linux'),
    webdriver: { value: false, native: true },
    automation: { n: 'x'.repeat(16), t: 1, tampered: [], globals: [], evalLength: 33 },
    platform: 'Linux x86_64',
    screen: { width: 1920, height: 1080, colorDepth: 24 },
    screenFrame: { top: 0, left: 0, right: 0, bottom: 0 },
    viewport: { innerWidth: 945, innerHeight: 917, outerWidth: 945, outerHeight: 1060, devicePixelRatio: 1 },
    permissions: { state: 'prompt', notification: 'default' },
    plugins: { names: ['PDF Viewer'], mimeTypes: ['application/pdf'] },
    speechVoices: { count: 0, local: 0 },
    mediaDevices: { audioinput: 0, audiooutput: 0, videoinput: 0 },
    webgl: {
      unmaskedRenderer: 'ANGLE (Google, Vulkan 1.3.0 (SwiftShader Device (Subzero)), SwiftShader driver)',
    },
    ...Object.fromEntries(
      [
        'timezone',
        'languages',
        'screenSize',
        'hardwareConcurrency',
        'vendor',
        'touchSupport',
        'math',
        'intl',
        'chrome',
        'errorStack',
        'canvas',
        'fonts',
        'audio',
      ].map((n) => [n, 1]),
    ),
    ...o,
  })
const assess = (c: Record<string, unknown>, ua = LINUX_UA) =>
  assessBot({ userAgent: ua, headerUserAgent: ua, components: c, uaHints: (c.uaHints as any)?.value })
const signals = (r: ReturnType<typeof assessBot>): string[] => r.reasons.map((x) => x.signal)

test('a person on a machine without GPU, voices, devices or taskbar stays below 0.3', () => {
  const r = assess(person())
  assert.deepEqual(signals(r).sort(), [
    'no_media_devices',
    'no_speech_voices',
    'no_taskbar',
    'software_renderer',
  ])
  // By hand: 1 − (1 − 0.1)(1 − 0.05)(1 − 0.05)(1 − 0.03) = 0.212, over the environment group's cap: 0.2.
  assert.equal(r.botProbability, 0.2)
  assert.equal(r.browserHeadless, false)
  // Even with every environment signal (an anti-fingerprinting extension too), the group is capped.
  const all = assess(
    person({
      automation: { n: 'x'.repeat(16), tampered: ['toDataURL', 'getParameter'], globals: [], evalLength: 33 },
    }),
  )
  assert.equal(all.botProbability, 0.2)
})

test('every signal has a weight in 0..1 and belongs to at most one group', () => {
  const seen = new Set<string>()
  for (const g of Object.values(BOT_GROUPS))
    for (const s of g.signals) {
      assert.ok(!seen.has(s), s)
      seen.add(s)
    }
  for (const w of Object.values(BOT_WEIGHTS)) assert.ok(w > 0 && w < 1)
})

test('a UA rewritten to Windows on a Linux browser contradicts the hints and navigator.platform', () => {
  const r = assess(person({ uaHints: hints('Linux') }), WIN_UA)
  assert.ok(signals(r).includes('ua_hints_mismatch'))
  assert.ok(signals(r).includes('ua_platform_mismatch'))
  // Both are the same lie: the ua group is 1 − 0.4 · 0.5 = 0.8, capped at 0.7; with the environment's 0.2,
  // 1 − 0.3 · 0.8 = 0.76 (by hand).
  assert.equal(r.botProbability, 0.76)
})

test('an Android phone in "desktop site" mode is not a contradiction', () => {
  const r = assess(person({ uaHints: hints('Android'), platform: 'Linux armv81' }))
  assert.ok(!signals(r).includes('ua_hints_mismatch'))
})

test('a non-native webdriver getter seen by the automation probe, and automation globals', () => {
  const r = assess(
    person({
      automation: {
        n: 'x'.repeat(16),
        tampered: ['webdriver', 'toString'],
        globals: ['cdc_adoQpoasnfa76pfcZLmcfl_Array'],
        evalLength: 33,
      },
    }),
  )
  for (const s of ['webdriver_tampered', 'api_tampered', 'automation_globals'])
    assert.ok(signals(r).includes(s), s)
  // By hand: 1 − (1 − 0.7)(1 − 0.5)(1 − 0.9)(1 − 0.2) = 1 − 0.012 = 0.988, shown to two places.
  assert.equal(r.botProbability, 0.99)
})

test('a viewport that fills the screen while the window has browser UI: emulated screen', () => {
  const r = assess(
    person({
      screen: { width: 1280, height: 720 },
      viewport: { innerWidth: 1280, innerHeight: 720, outerWidth: 1288, outerHeight: 805 },
    }),
  )
  assert.ok(signals(r).includes('emulated_screen'))
  assert.ok(signals(r).includes('window_larger_than_screen'))
  // By hand: geometry 1 − 0.5 · 0.7 = 0.65, capped at 0.5; with the environment's 0.2, 1 − 0.5 · 0.8 = 0.6.
  assert.equal(r.botProbability, 0.6)
})

test('a DevTools-protocol client attached to the page (cdp: true) is evidence on its own; false or null is not', () => {
  const auto = (cdp: unknown) => ({ n: 'x'.repeat(16), t: 1, tampered: [], globals: [], evalLength: 33, cdp })
  const r = assess(person({ automation: auto(true) }))
  assert.ok(signals(r).includes('cdp_runtime'))
  // With the capped environment of a server, over the line.
  assert.ok(r.botProbability >= 0.5, JSON.stringify(r))
  // Not measured outside V8: a SpiderMonkey or JavaScriptCore engine's cdp is not counted.
  assert.ok(
    !signals(assess(person({ automation: { ...auto(true), evalLength: 37 } }))).includes('cdp_runtime'),
  )
  for (const v of [false, null, 'true', 1])
    assert.ok(!signals(assess(person({ automation: auto(v) }))).includes('cdp_runtime'), String(v))
})

test('a window of no size around a viewport, and new headless default screen, count in the geometry group', () => {
  const r = assess(
    person({
      screen: { width: 1280, height: 720 },
      viewport: { innerWidth: 1280, innerHeight: 720, outerWidth: 0, outerHeight: 0 },
    }),
  )
  assert.ok(signals(r).includes('window_without_size'))
  const h = assess(
    person({
      screen: { width: 800, height: 600 },
      viewport: { innerWidth: 780, innerHeight: 493, outerWidth: 780, outerHeight: 580 },
    }),
  )
  assert.ok(signals(h).includes('headless_default_screen'))
  // An 800×600 screen with a taskbar is a small screen, not headless.
  const small = assess(
    person({
      screen: { width: 800, height: 600 },
      screenFrame: { top: 0, left: 0, right: 0, bottom: 40 },
      viewport: { innerWidth: 780, innerHeight: 420, outerWidth: 780, outerHeight: 560 },
    }),
  )
  assert.ok(!signals(small).includes('headless_default_screen'))
  // Either one beside a VM's capped environment is suspicious, not a verdict.
  assert.ok(Math.max(r.botProbability, h.botProbability) < 0.4)
})

test('old headless quirks: permissions that contradict, no plugins in a desktop Chrome', () => {
  const r = assess(
    person({
      permissions: { state: 'prompt', notification: 'denied' },
      plugins: { names: [], mimeTypes: [] },
    }),
  )
  assert.ok(signals(r).includes('permissions_contradict'))
  assert.ok(signals(r).includes('plugins_inconsistent'))
  // A Chrome whose PDF viewer is disabled by policy has no plugins, legitimately.
  const p = assess(person({ plugins: { names: [], mimeTypes: [] }, pdfViewerEnabled: false }))
  assert.ok(!signals(p).includes('plugins_inconsistent'))
})

test('a replay is reported with the identification it copies', () => {
  const r = assessBot({ userAgent: LINUX_UA, replayOf: '1795649349629.eye37P' })
  assert.equal(r.replayOf, '1795649349629.eye37P')
  assert.deepEqual(r.reasons, [{ signal: 'replayed_payload', weight: 0.95 }])
})

test('junk of every shape never throws and stays in 0..1', () => {
  const junk: unknown[] = [null, 1, 'x', [], {}, { value: null }, { value: { width: 'a' } }, { error: 'e' }]
  for (const j of junk) {
    const c: Record<string, unknown> = {}
    for (const n of [
      'automation',
      'uaHints',
      'screen',
      'viewport',
      'screenFrame',
      'plugins',
      'permissions',
      'webgl',
      'speechVoices',
      'mediaDevices',
      'platform',
    ])
      c[n] = j
    const r = assessBot({ userAgent: LINUX_UA, components: c, uaHints: j })
    assert.ok(r.botProbability >= 0 && r.botProbability <= 1)
    assert.deepEqual(assessBot({ userAgent: LINUX_UA, components: c, uaHints: j }), r)
  }
  assert.doesNotThrow(() => assessBot({ userAgent: null, components: 'junk' as never }))
})
