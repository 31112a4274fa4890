import type { VisitorDetails as StoredVisitorDetails } from '../schemas/stored.js'

/** User-Agent Client Hints as reported by the agent (navigator.userAgentData + getHighEntropyValues). */
export interface UaHints {
  brands?: { brand: string; version: string }[]
  fullVersionList?: { brand: string; version: string }[]
  mobile?: boolean
  platform?: string
  platformVersion?: string
  architecture?: string
  bitness?: string
  model?: string
  uaFullVersion?: string
}

/**
 * Server API `visitorDetails` browser fields plus the modern API's os/osVersion/device.
 * Unknown values are `null` (never `""`), so consumers can tell "unknown" from a real value.
 * Headless Chrome reports as "Chrome"; headlessness is reported by `assessBot` (`browserHeadless`).
 * `device` is "Other" for desktops (as the commercial API does), a model or "iPhone"/"iPad" otherwise.
 */
export type VisitorDetails = Omit<StoredVisitorDetails, 'incognito' | 'userAgent' | 'asn'>

interface Brand {
  brand: string
  version: string
}

const EMPTY: VisitorDetails = {
  browserName: null,
  browserFullVersion: null,
  browserMajorVersion: null,
  browserPlatformName: null,
  browserPlatformVersion: null,
  browserWebkitFullVersion: null,
  os: null,
  osVersion: null,
  device: null,
}

/**
 * `Version/x … [Mobile/… ]Safari/` as successive scans: one expression with `.*` between the parts
 * backtracks quadratically on a hostile UA.
 */
function safariVersion(ua: string, mobile: boolean): RegExpExecArray | null {
  const m = /\bVersion\/([\d.]+)/.exec(ua)
  if (!m) return null
  let rest = ua.slice(m.index + m[0].length)
  if (mobile) {
    const mob = /\bMobile\/\w/.exec(rest)
    if (!mob) return null
    rest = rest.slice(mob.index)
  }
  return /\bSafari\//.test(rest) ? m : null
}

// Order matters: Chromium derivatives and iOS wrappers first, Chrome/Safari last.
const BROWSERS: [RegExp | ((ua: string) => RegExpExecArray | null), string][] = [
  [/\bEdg(?:e|A|iOS)?\/([\d.]+)/, 'Edge'],
  [/\b(?:OPR|OPiOS)\/([\d.]+)/, 'Opera'],
  [/\bSamsungBrowser\/([\d.]+)/, 'Samsung Internet'],
  [/\bYaBrowser\/([\d.]+)/, 'Yandex Browser'],
  [/\bCriOS\/([\d.]+)/, 'Chrome iOS'],
  [/\bFxiOS\/([\d.]+)/, 'Firefox iOS'],
  [/\bFirefox\/([\d.]+)/, 'Firefox'],
  [/\b(?:HeadlessChrome|Chrome)\/([\d.]+)/, 'Chrome'],
  [(ua) => safariVersion(ua, true), 'Mobile Safari'],
  [(ua) => safariVersion(ua, false), 'Safari'],
]

// Client Hints brands that name the browser more precisely than the UA string.
const HINT_BRANDS: Record<string, string> = {
  'Google Chrome': 'Chrome',
  HeadlessChrome: 'Chrome',
  'Microsoft Edge': 'Edge',
  Opera: 'Opera',
  'Opera GX': 'Opera',
  Brave: 'Brave',
  YaBrowser: 'Yandex Browser',
  Yandex: 'Yandex Browser',
  'Samsung Internet': 'Samsung Internet',
  Vivaldi: 'Vivaldi',
}
const CHROMIUM_BASED = new Set(['Chrome', 'Edge', 'Opera', 'Samsung Internet', 'Yandex Browser'])
const GREASE = /not.?a.?brand/i

const str = (v: unknown, max = 256): string | null =>
  typeof v === 'string' && v.trim() !== '' && v.length <= max ? v.trim() : null

function brandList(v: unknown): Brand[] {
  if (!Array.isArray(v)) return []
  const out: Brand[] = []
  for (const b of v.slice(0, 20)) {
    const brand = str((b as { brand?: unknown } | null)?.brand, 64)
    const version = str((b as { version?: unknown } | null)?.version, 64)
    if (brand && version && !GREASE.test(brand)) out.push({ brand, version })
  }
  return out
}

/** The most specific brand: a known one, else "Chromium". */
function pickBrand(list: Brand[]): { name: string; version: string } | null {
  for (const b of list) {
    const name = Object.hasOwn(HINT_BRANDS, b.brand) ? HINT_BRANDS[b.brand] : undefined
    if (name) return { name, version: b.version }
  }
  const chromium = list.find((b) => b.brand === 'Chromium')
  return chromium ? { name: 'Chrome', version: chromium.version } : null
}

const dotted = (v: string): string => v.replace(/_/g, '.')
const major = (v: string | null): string | null => (v ? (/^\d+/.exec(v)?.[0] ?? null) : null)
const validVersion = (v: string | null): string | null => (v && /^\d+(\.\d+)*$/.test(v) ? v : null)

const WINDOWS_NT: Record<string, string> = {
  '5.1': 'XP',
  '5.2': 'XP',
  '6.0': 'Vista',
  '6.1': '7',
  '6.2': '8',
  '6.3': '8.1',
  '10.0': '10',
}

interface Platform {
  platformName: string | null
  platformVersion: string | null
  os: string | null
  device: string | null
}

function platformFromUa(ua: string): Platform {
  const ios = /\((iPhone|iPad|iPod)\b[^()]*?OS (\d+[_.\d]*)/.exec(ua)
  if (ios) return { platformName: ios[1]!, platformVersion: dotted(ios[2]!), os: 'iOS', device: ios[1]! }
  const android = /\bAndroid(?: (\d+(?:\.\d+)*))?(?:; ([^;)]*))?[;)]/.exec(ua)
  if (android) {
    const model = android[2]?.split(' Build/')[0]?.trim()
    // "K" is the frozen placeholder of reduced UAs; locales and "Mobile" are not models either.
    const device =
      model && model !== 'K' && !/^(?:Mobile|Tablet|wv|[a-z]{2}[-_][a-z]{2})$/i.test(model) ? model : null
    return { platformName: 'Android', platformVersion: android[1] ?? null, os: 'Android', device }
  }
  const desktop = (platformName: string, os: string, platformVersion: string | null): Platform => ({
    platformName,
    platformVersion,
    os,
    device: 'Other',
  })
  const win = /\bWindows NT (\d+\.\d+)/.exec(ua)
  if (win) return desktop('Windows', 'Windows', WINDOWS_NT[win[1]!] ?? win[1]!)
  if (/\bMacintosh\b/.test(ua)) {
    const v = /\bMac OS X (\d+[_.\d]*)/.exec(ua)?.[1]
    return desktop('Macintosh', 'Mac OS X', v ? dotted(v) : null)
  }
  const cros = /\bCrOS \S+ ([\d.]+)/.exec(ua)
  if (cros) return desktop('CrOS', 'Chrome OS', cros[1]!)
  if (/\b(?:X11|Linux)\b/.test(ua)) return desktop('Linux', 'Linux', null)
  return { platformName: null, platformVersion: null, os: null, device: null }
}

const HINT_PLATFORMS: Record<string, [string, string]> = {
  Windows: ['Windows', 'Windows'],
  macOS: ['Macintosh', 'Mac OS X'],
  Android: ['Android', 'Android'],
  'Chrome OS': ['CrOS', 'Chrome OS'],
  'Chromium OS': ['CrOS', 'Chrome OS'],
  Linux: ['Linux', 'Linux'],
}

/** Windows version from Client Hints platformVersion (the UA says "Windows NT 10.0" for 10 and 11). */
function windowsFromHint(v: string): string | null {
  const m = /^(\d+)\.(\d+)/.exec(v)
  if (!m) return null
  const maj = Number(m[1])
  if (maj >= 13) return '11'
  if (maj >= 1) return '10'
  return { '1': '7', '2': '8', '3': '8.1' }[m[2]!] ?? null
}

export function parseVisitorDetails(ua: string | undefined | null, hints?: UaHints | null): VisitorDetails {
  const h = typeof hints === 'object' && hints !== null ? (hints as Record<string, unknown>) : {}
  const text = typeof ua === 'string' ? ua.slice(0, 1024) : ''
  const full = brandList(h.fullVersionList)
  const brands = brandList(h.brands)
  if (!text && full.length === 0 && brands.length === 0) return { ...EMPTY }

  let name: string | null = null
  let version: string | null = null
  for (const [re, n] of BROWSERS) {
    const m = typeof re === 'function' ? re(text) : re.exec(text)
    if (m) {
      name = n
      version = m[1] ?? null
      break
    }
  }

  // Client Hints: exact versions and more specific Chromium brands (Brave, Opera GX...).
  if (name === null || CHROMIUM_BASED.has(name)) {
    const fromFull = pickBrand(full)
    const fromLow = pickBrand(brands)
    const hinted = fromFull ?? fromLow
    if (hinted) {
      name = hinted.name
      const uaFull = validVersion(str(h.uaFullVersion, 64))
      version =
        (fromFull && validVersion(fromFull.version)) ??
        (uaFull && major(uaFull) === major(hinted.version) ? uaFull : null) ??
        version ??
        validVersion(hinted.version)
    }
  }

  const p = platformFromUa(text)
  const hintPlatform = str(h.platform, 64)
  const hintVersion = validVersion(str(h.platformVersion, 64)?.replace(/_/g, '.') ?? null)
  const mapped =
    hintPlatform && Object.hasOwn(HINT_PLATFORMS, hintPlatform) ? HINT_PLATFORMS[hintPlatform] : undefined
  if (mapped && (p.platformName === null || p.os === mapped[1])) {
    p.platformName ??= mapped[0]
    p.os = mapped[1]
    if (hintVersion) {
      if (mapped[1] === 'Windows') p.platformVersion = windowsFromHint(hintVersion) ?? p.platformVersion
      else if (mapped[1] !== 'Linux') p.platformVersion = hintVersion
    }
  }
  const model = str(h.model, 64)
  if (p.os === 'Android' && model) p.device = model
  else if (p.os && p.os !== 'Android' && p.os !== 'iOS' && !p.device) p.device = 'Other'

  const webkit = /\bAppleWebKit\/([\d.]+)/.exec(text)?.[1] ?? null
  return {
    browserName: name,
    browserFullVersion: version,
    browserMajorVersion: major(version),
    browserPlatformName: p.platformName,
    browserPlatformVersion: p.platformVersion,
    browserWebkitFullVersion: webkit,
    os: p.os,
    osVersion: p.platformVersion,
    device: p.device,
  }
}
