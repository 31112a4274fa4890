import type { ComponentName } from '@sightline/agent/components'
import { isbot } from 'isbot'
import { CORE_COMPONENTS } from '../identify/components.js'
import type { BotAssessment } from '../schemas/stored.js'
import { BOT_GROUPS, BOT_WEIGHTS, type BotSignal, groupOf } from './bot-weights.js'

export { BOT_GROUPS, BOT_WEIGHTS, type BotSignal } from './bot-weights.js'

/**
 * The bot score (documented signal by signal in docs/bot-detection.md). Deterministic and pure: the
 * same input always gives the same answer; replay detection (a database look-up) is done by the caller
 * and passed in as `replay`.
 *
 * A signal's weight is the probability it alone gives that the visitor is a bot. Signals combine as a
 * noisy-OR, botProbability = 1 - Π(1 - w), rounded to 2 decimals, except that the signals of a capped
 * group (UA consistency, window geometry, environment) first combine among themselves and count for at
 * most the group's cap: correlated circumstantial evidence (a VM with no GPU, no voices and no camera)
 * must not add up to a verdict on its own.
 */

export interface BotInput {
  /** User-Agent reported by the agent (navigator.userAgent). */
  userAgent: string | null | undefined
  /** User-Agent request header. */
  headerUserAgent?: string | null
  /** The agent's webdriver component: `true`/`false`, or `{ value: boolean, native: boolean }`. */
  webdriver?: unknown
  /** Client Hints as reported by the agent. */
  uaHints?: unknown
  /**
   * Every component of the payload as posted (`{value}` / `{error}` per name). When given, the agent's
   * other signals and the payload's plausibility are checked too; when absent, only the fields above.
   */
  components?: Record<string, unknown> | null
  /** This payload (its nonce, or its content) was already posted: the first identification's request id. */
  replayOf?: string | null
}

/** Its shape (stored in `visits.bot`) is declared in schemas/stored.ts. */
export type { BotAssessment }

/** Client strings are cut before any expression reads them (real User-Agents are far shorter). */
const MAX_TEXT = 1024
const text = (v: unknown): string | null => {
  const t = typeof v === 'string' ? v.slice(0, MAX_TEXT).trim() : ''
  return t === '' ? null : t
}
const obj = (v: unknown): Record<string, any> | null =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, any>) : null
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null)

function hintBrands(hints: unknown): { brand: string; version: string }[] {
  const brands = obj(hints)?.brands
  if (!Array.isArray(brands)) return []
  return brands.flatMap((b) => {
    const brand = obj(b)?.brand
    return typeof brand === 'string' ? [{ brand, version: String(obj(b)?.version ?? '') }] : []
  })
}

type Os = 'windows' | 'mac' | 'linux' | 'android' | 'ios' | 'chromeos' | null
/** The OS a User-Agent claims. */
function uaOs(ua: string): Os {
  if (/Android/.test(ua)) return 'android'
  if (/iPhone|iPad|iPod/.test(ua)) return 'ios'
  if (/Windows/.test(ua)) return 'windows'
  if (/CrOS/.test(ua)) return 'chromeos'
  if (/Macintosh|Mac OS X/.test(ua)) return 'mac'
  if (/Linux|X11/.test(ua)) return 'linux'
  return null
}
/** The OS `navigator.userAgentData.platform` names. */
function hintOs(p: string): Os {
  const m: Record<string, Os> = {
    Windows: 'windows',
    macOS: 'mac',
    Linux: 'linux',
    Android: 'android',
    iOS: 'ios',
    'Chrome OS': 'chromeos',
    'Chromium OS': 'chromeos',
  }
  return m[p] ?? null
}
/** The OS `navigator.platform` names (null: unknown or deliberately empty). */
function platformOs(p: string): Os {
  if (/^Win/.test(p)) return 'windows'
  if (/^Mac/.test(p)) return 'mac'
  if (/^(iPhone|iPad|iPod)/.test(p)) return 'ios'
  if (/Linux|X11|CrOS/.test(p)) return 'linux'
  return null
}
/** Android reports `Linux armv8l` as navigator.platform, and Chrome OS `Linux x86_64` in some builds. */
const osCompatible = (claimed: Os, seen: Os) =>
  claimed === seen ||
  (seen === 'linux' && (claimed === 'android' || claimed === 'chromeos')) ||
  // Android's "desktop site" mode claims Linux in the UA while the hints still say Android.
  (claimed === 'linux' && seen === 'android') ||
  // iPadOS in desktop mode claims a Mac.
  (claimed === 'mac' && seen === 'ios') ||
  (claimed === 'ios' && seen === 'mac')

type Engine = 'blink' | 'gecko' | 'webkit' | null
function uaEngine(ua: string): Engine {
  if (/Firefox\/\d/.test(ua) && !/Seamonkey/i.test(ua))
    return /iPhone|iPad|FxiOS/.test(ua) ? 'webkit' : 'gecko'
  if (/iPhone|iPad|iPod/.test(ua)) return 'webkit' // every iOS browser is WebKit
  if (/Chrome\/\d|Chromium\/\d|CriOS/.test(ua)) return 'blink'
  // Version/x … Safari/ as two scans: as one expression, `.*` backtracks quadratically.
  const version = ua.search(/Version\/[\d.]/)
  if (version >= 0 && ua.includes('Safari/', version)) return 'webkit'
  return null
}

const SOFTWARE_RENDERER =
  /SwiftShader|llvmpipe|softpipe|Software Rasterizer|Microsoft Basic Render|Mesa OffScreen/i
const AUTOMATION_APIS = new Set([
  'toString',
  'permissionsQuery',
  'plugins',
  'languages',
  'userAgent',
  'platform',
])
const FINGERPRINT_APIS = new Set(['getParameter', 'toDataURL', 'screenWidth', 'hardwareConcurrency'])

export function assessBot(input: BotInput): BotAssessment {
  const signals = new Set<BotSignal>()
  const agentUa = text(input?.userAgent)
  const headerUa = text(input?.headerUserAgent)
  const uas = [agentUa, headerUa].filter((u): u is string => u !== null)
  const brands = hintBrands(input?.uaHints)

  const saysBot = uas.some((u) => isbot(u))
  if (saysBot) signals.add('ua_declares_bot')

  const headlessUa =
    uas.some((u) => u.includes('HeadlessChrome')) || brands.some((b) => b.brand === 'HeadlessChrome')
  if (headlessUa) signals.add('headless_chrome')

  const wd = input?.webdriver
  const wdObj = obj(wd)
  if (wd === true || wdObj?.value === true) signals.add('webdriver')
  if (wdObj?.native === false) signals.add('webdriver_tampered')

  if (uas.length === 0) signals.add('ua_missing')
  if (agentUa && headerUa && agentUa !== headerUa) signals.add('ua_mismatch')

  const comps = obj(input?.components)
  if (comps) componentSignals(comps, agentUa, signals)
  if (input?.replayOf) signals.add('replayed_payload')

  const reasons = [...signals].map((signal) => ({ signal, weight: BOT_WEIGHTS[signal] }))
  // Noisy-OR within each capped group, the group counting for at most its cap; then across everything.
  const groupHuman = new Map<string, number>()
  let human = 1
  for (const r of reasons) {
    const g = groupOf(r.signal)
    if (g) groupHuman.set(g, (groupHuman.get(g) ?? 1) * (1 - r.weight))
    else human *= 1 - r.weight
  }
  for (const [g, h] of groupHuman) human *= 1 - Math.min(BOT_GROUPS[g as keyof typeof BOT_GROUPS].cap, 1 - h)
  const botProbability = Math.round((1 - human) * 100) / 100
  const windowless = signals.has('screen_is_viewport')
  return {
    browserSaysItsBot: saysBot,
    // Headless as the browser declares it, or a window without any browser UI filling a taskbar-less
    // screen when the rest of the evidence already says automation.
    browserHeadless: headlessUa || (windowless && botProbability >= 0.8),
    botProbability,
    reasons,
    ...(input?.replayOf ? { replayOf: input.replayOf } : {}),
  }
}

const value = (c: Record<string, unknown>, name: ComponentName): unknown => obj(c[name])?.value

function componentSignals(c: Record<string, unknown>, ua: string | null, signals: Set<BotSignal>) {
  // --- what the agent saw of automation ---
  const auto = obj(value(c, 'automation'))
  const tampered: string[] = Array.isArray(auto?.tampered) ? auto.tampered.map(String) : []
  if (tampered.includes('webdriver') || tampered.includes('navigator.webdriver'))
    signals.add('webdriver_tampered')
  if (
    tampered.some(
      (t) => AUTOMATION_APIS.has(t) || (t.startsWith('navigator.') && t !== 'navigator.webdriver'),
    )
  )
    signals.add('api_tampered')
  if (tampered.some((t) => FINGERPRINT_APIS.has(t))) signals.add('fingerprint_api_tampered')
  if (Array.isArray(auto?.globals) && auto.globals.length > 0) signals.add('automation_globals')
  // Measured in V8 (Chromium) only, whatever the UA claims: eval.toString().length tells the engine.
  if (auto?.cdp === true && auto.evalLength === 33) signals.add('cdp_runtime')

  // --- the User-Agent against everything else the browser says ---
  const hints = obj(value(c, 'uaHints'))
  const os = ua ? uaOs(ua) : null
  const engine = ua ? uaEngine(ua) : null
  const mobile = os === 'android' || os === 'ios'
  if (ua && hints) {
    const hOs = typeof hints.platform === 'string' ? hintOs(hints.platform) : null
    const brands = hintBrands(hints)
    const chromeMajor = /(?:Chrome|Chromium)\/(\d+)/.exec(ua)?.[1]
    const brandMajor = brands.find((b) => /^(Chromium|Google Chrome)$/.test(b.brand))?.version.split('.')[0]
    if (
      (os && hOs && !osCompatible(os, hOs)) ||
      (chromeMajor && brandMajor && chromeMajor !== brandMajor) ||
      (hints.mobile === true && os !== null && !mobile && os !== 'linux') ||
      engine === 'gecko' ||
      (engine === 'webkit' && !/CriOS|EdgiOS/.test(ua))
    )
      signals.add('ua_hints_mismatch')
    // Chromium blanks the high-entropy hints when the UA is overridden on its command line.
    if (
      hints.uaFullVersion === '' &&
      Array.isArray(hints.fullVersionList) &&
      hints.fullVersionList.length === 0
    )
      signals.add('hints_blank')
  }
  const platform = value(c, 'platform')
  if (os && typeof platform === 'string' && platform !== '') {
    const pOs = platformOs(platform)
    if (pOs && !osCompatible(os, pOs)) signals.add('ua_platform_mismatch')
  }
  const evalLength = num(auto?.evalLength)
  if (engine && evalLength !== null && (engine === 'blink' ? evalLength !== 33 : evalLength !== 37))
    signals.add('ua_engine_mismatch')
  if (
    (engine === 'gecko' || engine === 'webkit') &&
    obj(value(c, 'chrome')) &&
    !/CriOS|EdgiOS/.test(ua ?? '')
  )
    signals.add('ua_engine_mismatch')

  // --- window geometry ---
  const screen = obj(value(c, 'screen'))
  const vp = obj(value(c, 'viewport'))
  const frame = obj(value(c, 'screenFrame'))
  const sw = num(screen?.width)
  const sh = num(screen?.height)
  const iw = num(vp?.innerWidth)
  const ih = num(vp?.innerHeight)
  const ow = num(vp?.outerWidth)
  const oh = num(vp?.outerHeight)
  const noFrame = frame !== null && ['top', 'left', 'right', 'bottom'].every((k) => frame[k] === 0)
  if (sw && sh && iw && ih && ow && oh && !mobile) {
    const viewportIsScreen = iw === sw && ih === sh
    if (viewportIsScreen && (ow > iw || oh > ih)) signals.add('emulated_screen')
    else if (viewportIsScreen && ow === iw && oh === ih && noFrame) signals.add('screen_is_viewport')
    if (ow > sw + 4 || oh > sh + 4) signals.add('window_larger_than_screen')
  }
  // A page with a viewport inside a window of no size: Playwright's viewport emulation in a headful window.
  if (iw && ih && ow === 0 && oh === 0 && !mobile) signals.add('window_without_size')
  // New headless Chromium's screen unless told otherwise: 800×600 with no OS bars.
  if (sw === 800 && sh === 600 && noFrame && !mobile) signals.add('headless_default_screen')

  // --- headless quirks ---
  const perm = obj(value(c, 'permissions'))
  if (perm && typeof perm.state === 'string' && typeof perm.notification === 'string') {
    const n = perm.notification === 'default' ? 'prompt' : perm.notification
    if (n !== perm.state) signals.add('permissions_contradict')
  }
  const plugins = obj(value(c, 'plugins'))
  if (plugins && ua && engine === 'blink' && !mobile && !/Android|wv\)/.test(ua)) {
    const names = Array.isArray(plugins.names) ? plugins.names : []
    const mimes = Array.isArray(plugins.mimeTypes) ? plugins.mimeTypes : []
    const major = Number(/Chrome\/(\d+)/.exec(ua)?.[1] ?? 0)
    if (
      (names.length === 0 && major >= 92 && value(c, 'pdfViewerEnabled') !== false) ||
      (names.length > 0 && mimes.length === 0)
    )
      signals.add('plugins_inconsistent')
  }

  // --- environment: common on servers, also on some people's machines (capped group) ---
  const webgl = obj(value(c, 'webgl'))
  const renderer = `${webgl?.unmaskedRenderer ?? ''} ${webgl?.renderer ?? ''}`.slice(0, MAX_TEXT)
  if (SOFTWARE_RENDERER.test(renderer)) signals.add('software_renderer')
  const voices = obj(value(c, 'speechVoices'))
  if (voices && voices.count === 0) signals.add('no_speech_voices')
  const media = obj(value(c, 'mediaDevices'))
  if (media && Object.values(media).every((n) => n === 0)) signals.add('no_media_devices')
  if (noFrame && !mobile) signals.add('no_taskbar')

  // --- the payload itself: the components the agent has always sent (identify/components.ts) ---
  const present = CORE_COMPONENTS.filter((n) => obj(c[n]) !== null).length
  if (present < CORE_COMPONENTS.length * 0.75) signals.add('payload_incomplete')
  const entries = Object.values(c).map(obj)
  const durations = entries.map((e) => e?.duration)
  const malformed =
    entries.some((e) => e === null || (!('value' in e) && !('error' in e))) ||
    ('userAgent' in c && typeof value(c, 'userAgent') !== 'string' && !obj(c.userAgent)?.error) ||
    (screen !== null && !(sw && sw > 0 && sh && sh > 0)) ||
    (vp !== null && !(iw && iw > 0 && ih && ih > 0))
  if (malformed) signals.add('payload_malformed')
  // The agent measures every source: a dozen identical durations are typed, not measured.
  if (entries.length >= 12 && durations.every((d) => d === durations[0])) signals.add('durations_uniform')
}
