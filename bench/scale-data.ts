// Synthetic, deterministic data for bench:scale: devices, agent components, visitors with Zipf-ish visit
// counts over six months, and visit rows shaped exactly like the pipeline's (the enrichment JSON is
// copied from what the running server wrote for calibration requests, see scale-http.ts).
import { STABLE_COMPONENTS } from '@sightline/agent/stable'
import { computeFingerprint } from '../packages/server/dist/identify/fingerprint.js'
import type { Components } from '../packages/server/src/schemas/stored.js'

export const DAY_US = 86_400_000_000
export const SPAN_US = 182 * DAY_US

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'))

/** sfc32: small, fast, seedable. */
export class Rng {
  private a = 0x9e3779b9
  private b = 0x243f6a88
  private c = 0xb7e15162
  private d: number
  constructor(seed: number) {
    this.d = seed >>> 0
    for (let i = 0; i < 12; i++) this.u32()
  }
  u32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0
    this.d = (this.d + 1) | 0
    this.a = this.b ^ (this.b >>> 9)
    this.b = (this.c + (this.c << 3)) | 0
    this.c = (this.c << 21) | (this.c >>> 11)
    this.c = (this.c + t) | 0
    return t >>> 0
  }
  next(): number {
    return this.u32() / 4294967296
  }
  int(n: number): number {
    return Math.floor(this.next() * n)
  }
  chance(p: number): boolean {
    return this.next() < p
  }
  pick<T>(a: readonly T[]): T {
    return a[this.int(a.length)]!
  }
  hex(n: number): string {
    let s = ''
    for (let i = 0; i < n; i += 2) s += HEX[this.u32() & 255]
    return s.slice(0, n)
  }
  alnum(n: number): string {
    const A = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'
    let s = ''
    for (let i = 0; i < n; i++) s += A[this.int(62)]
    return s
  }
}

/** A seed from several integers (for per-visitor, per-visit generators). */
export const mix = (...xs: number[]): number => {
  let h = 0x811c9dc5
  for (const x of xs) {
    h = Math.imul(h ^ (x >>> 0), 0x01000193)
    h = Math.imul(h ^ Math.floor(x / 4294967296), 0x01000193)
    h ^= h >>> 15
  }
  return h >>> 0
}

// ---------------------------------------------------------------------------------------------------
// Devices

interface Family {
  name: string
  weight: number
  userAgent: string
  uaHints: Record<string, unknown> | null
  platform: string
  vendor: string
  mobile: boolean
  screens: readonly (readonly [number, number, number])[]
  gpus: readonly (readonly [string, string])[] | null
  webglVendor: string
  fonts: readonly string[]
  extraFonts: readonly string[]
  engine: 'v8' | 'jsc' | 'gecko'
  chromeKeys: readonly string[] | null
  pdf: boolean
  touch: number
  memory: readonly number[] | null
  cores: readonly number[]
  voices: readonly (readonly [number, number])[]
}

const CHROME_UA_HINTS = (platform: string, platformVersion: string, mobile: boolean, model = '') => ({
  brands: [
    { brand: 'Google Chrome', version: '131' },
    { brand: 'Chromium', version: '131' },
    { brand: 'Not_A Brand', version: '24' },
  ],
  mobile,
  platform,
  architecture: mobile ? '' : 'x86',
  bitness: mobile ? '' : '64',
  model,
  platformVersion,
  uaFullVersion: '131.0.6778.86',
  fullVersionList: [
    { brand: 'Google Chrome', version: '131.0.6778.86' },
    { brand: 'Chromium', version: '131.0.6778.86' },
    { brand: 'Not_A Brand', version: '24.0.0.0' },
  ],
})

const WIN_FONTS = ['Arial Narrow', 'Bahnschrift', 'Calibri', 'Cambria', 'Candara', 'Consolas', 'Constantia']
const WIN_EXTRA = ['Corbel', 'Ebrima', 'Franklin Gothic', 'Gadugi', 'Leelawadee UI', 'Lucida Console']
const OFFICE = [
  'Agency FB',
  'Aptos',
  'Century Gothic',
  'Haettenschweiler',
  'Monotype Corsiva',
  'Lucida Bright',
]
const MAC_FONTS = ['Avenir', 'Futura', 'Geneva', 'Gill Sans', 'Helvetica Neue', 'Hiragino Sans', 'Menlo']
const MAC_EXTRA = ['Monaco', 'Optima', 'Palatino', 'SF Pro', 'Arial Unicode MS', 'Myriad Pro', 'Minion Pro']
const WIN_GPUS = [
  ['Google Inc. (NVIDIA)', 'ANGLE (NVIDIA, NVIDIA GeForce RTX 3060 Direct3D11 vs_5_0 ps_5_0, D3D11)'],
  ['Google Inc. (NVIDIA)', 'ANGLE (NVIDIA, NVIDIA GeForce GTX 1650 Direct3D11 vs_5_0 ps_5_0, D3D11)'],
  ['Google Inc. (Intel)', 'ANGLE (Intel, Intel(R) UHD Graphics 620 Direct3D11 vs_5_0 ps_5_0, D3D11)'],
  ['Google Inc. (Intel)', 'ANGLE (Intel, Intel(R) Iris(R) Xe Graphics Direct3D11 vs_5_0 ps_5_0, D3D11)'],
  ['Google Inc. (AMD)', 'ANGLE (AMD, AMD Radeon(TM) Graphics Direct3D11 vs_5_0 ps_5_0, D3D11)'],
] as const
const MAC_GPUS = [
  ['Google Inc. (Apple)', 'ANGLE (Apple, ANGLE Metal Renderer: Apple M1, Unspecified Version)'],
  ['Google Inc. (Apple)', 'ANGLE (Apple, ANGLE Metal Renderer: Apple M2 Pro, Unspecified Version)'],
  ['Google Inc. (Apple)', 'ANGLE (Apple, ANGLE Metal Renderer: Apple M3, Unspecified Version)'],
] as const
const DESKTOP_SCREENS = [
  [1920, 1080, 1],
  [2560, 1440, 1],
  [1536, 864, 1.25],
  [1366, 768, 1],
  [1280, 720, 1.5],
] as const
const CHROME_KEYS = ['app', 'csi', 'loadTimes', 'runtime']

export const FAMILIES: readonly Family[] = [
  {
    name: 'chrome-windows',
    weight: 35,
    userAgent:
      'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
    uaHints: CHROME_UA_HINTS('Windows', '15.0.0', false),
    platform: 'Win32',
    vendor: 'Google Inc.',
    mobile: false,
    screens: DESKTOP_SCREENS,
    gpus: WIN_GPUS,
    webglVendor: 'WebKit',
    fonts: WIN_FONTS,
    extraFonts: [...WIN_EXTRA, ...OFFICE],
    engine: 'v8',
    chromeKeys: CHROME_KEYS,
    pdf: true,
    touch: 0,
    memory: [4, 8, 8, 8],
    cores: [4, 8, 8, 12, 16],
    voices: [
      [3, 3],
      [22, 3],
    ],
  },
  {
    name: 'chrome-mac',
    weight: 12,
    userAgent:
      'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
    uaHints: { ...CHROME_UA_HINTS('macOS', '15.1.0', false), architecture: 'arm' },
    platform: 'MacIntel',
    vendor: 'Google Inc.',
    mobile: false,
    screens: [
      [1512, 982, 2],
      [1728, 1117, 2],
      [1440, 900, 2],
      [2560, 1440, 1],
    ],
    gpus: MAC_GPUS,
    webglVendor: 'WebKit',
    fonts: MAC_FONTS,
    extraFonts: [...MAC_EXTRA, 'Calibri', 'Cambria', 'Consolas'],
    engine: 'v8',
    chromeKeys: CHROME_KEYS,
    pdf: true,
    touch: 0,
    memory: [8, 8],
    cores: [8, 10, 12],
    voices: [[176, 176]],
  },
  {
    name: 'safari-mac',
    weight: 8,
    userAgent:
      'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15',
    uaHints: null,
    platform: 'MacIntel',
    vendor: 'Apple Computer, Inc.',
    mobile: false,
    screens: [
      [1512, 982, 2],
      [1440, 900, 2],
      [1680, 1050, 2],
    ],
    gpus: [['Apple Inc.', 'Apple GPU']],
    webglVendor: 'WebKit',
    fonts: MAC_FONTS,
    extraFonts: MAC_EXTRA,
    engine: 'jsc',
    chromeKeys: null,
    pdf: true,
    touch: 0,
    memory: null,
    cores: [8],
    voices: [[190, 190]],
  },
  {
    name: 'safari-iphone',
    weight: 18,
    userAgent:
      'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1',
    uaHints: null,
    platform: 'iPhone',
    vendor: 'Apple Computer, Inc.',
    mobile: true,
    screens: [
      [390, 844, 3],
      [393, 852, 3],
      [430, 932, 3],
      [375, 667, 2],
    ],
    gpus: [['Apple Inc.', 'Apple GPU']],
    webglVendor: 'WebKit',
    fonts: ['Avenir', 'Futura', 'Geneva', 'Gill Sans', 'Helvetica Neue', 'Hiragino Sans'],
    extraFonts: ['Menlo', 'Optima', 'Palatino'],
    engine: 'jsc',
    chromeKeys: null,
    pdf: false,
    touch: 5,
    memory: null,
    cores: [4, 6],
    voices: [[180, 180]],
  },
  {
    name: 'chrome-android',
    weight: 15,
    userAgent:
      'Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36',
    uaHints: CHROME_UA_HINTS('Android', '14.0.0', true, 'Pixel 8'),
    platform: 'Linux armv81',
    vendor: 'Google Inc.',
    mobile: true,
    screens: [
      [412, 915, 2.625],
      [384, 854, 2.8125],
      [360, 800, 3],
    ],
    gpus: [
      ['Qualcomm', 'Adreno (TM) 740'],
      ['ARM', 'Mali-G710'],
    ],
    webglVendor: 'WebKit',
    fonts: ['Droid Sans', 'Noto Color Emoji', 'Roboto'],
    extraFonts: ['Noto Sans CJK SC', 'Source Code Pro'],
    engine: 'v8',
    chromeKeys: ['app'],
    pdf: false,
    touch: 5,
    memory: [4, 8],
    cores: [8],
    voices: [[0, 0]],
  },
  {
    name: 'firefox-windows',
    weight: 5,
    userAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0',
    uaHints: null,
    platform: 'Win32',
    vendor: '',
    mobile: false,
    screens: DESKTOP_SCREENS,
    gpus: [
      ['Mozilla', 'ANGLE (NVIDIA, NVIDIA GeForce GTX 980 Direct3D11 vs_5_0 ps_5_0), or similar'],
      ['Mozilla', 'ANGLE (Intel, Intel(R) HD Graphics 400 Direct3D11 vs_5_0 ps_5_0), or similar'],
    ],
    webglVendor: 'Mozilla',
    fonts: WIN_FONTS,
    extraFonts: [...WIN_EXTRA, ...OFFICE],
    engine: 'gecko',
    chromeKeys: null,
    pdf: true,
    touch: 0,
    memory: null,
    cores: [4, 8, 16],
    voices: [[3, 3]],
  },
  {
    name: 'edge-windows',
    weight: 5,
    userAgent:
      'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.2903.70',
    uaHints: {
      ...CHROME_UA_HINTS('Windows', '15.0.0', false),
      brands: [
        { brand: 'Microsoft Edge', version: '131' },
        { brand: 'Chromium', version: '131' },
        { brand: 'Not_A Brand', version: '24' },
      ],
    },
    platform: 'Win32',
    vendor: 'Google Inc.',
    mobile: false,
    screens: DESKTOP_SCREENS,
    gpus: WIN_GPUS,
    webglVendor: 'WebKit',
    fonts: WIN_FONTS,
    extraFonts: [...WIN_EXTRA, ...OFFICE],
    engine: 'v8',
    chromeKeys: CHROME_KEYS,
    pdf: true,
    touch: 0,
    memory: [8],
    cores: [4, 8, 12],
    voices: [[24, 4]],
  },
  {
    name: 'firefox-linux',
    weight: 2,
    userAgent: 'Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0',
    uaHints: null,
    platform: 'Linux x86_64',
    vendor: '',
    mobile: false,
    screens: DESKTOP_SCREENS,
    gpus: [['Mozilla', 'Mesa Intel(R) UHD Graphics 630 (CFL GT2)']],
    webglVendor: 'Mozilla',
    fonts: ['Cantarell', 'DejaVu Sans', 'Liberation Sans', 'Ubuntu'],
    extraFonts: ['Noto Color Emoji', 'Source Code Pro', 'Droid Sans'],
    engine: 'gecko',
    chromeKeys: null,
    pdf: true,
    touch: 0,
    memory: null,
    cores: [4, 8],
    voices: [[0, 0]],
  },
]

const FAMILY_CDF = (() => {
  const total = FAMILIES.reduce((s, f) => s + f.weight, 0)
  let acc = 0
  return FAMILIES.map((f) => (acc += f.weight / total))
})()

interface Locale {
  languages: readonly string[]
  timeZone: string
  format: { date: string; dateUTC: string; number: string; list: string }
  hourCycle: string
}

function locale(languages: readonly string[], timeZone: string): Locale {
  const d = new Date(Date.UTC(2020, 0, 31, 15, 4, 5))
  const tag = languages[0]!
  return {
    languages,
    timeZone,
    hourCycle: new Intl.DateTimeFormat(tag, { hour: 'numeric' }).resolvedOptions().hourCycle ?? 'h23',
    format: {
      date: d.toLocaleString(tag, { timeZone }),
      dateUTC: d.toLocaleString(tag, { timeZone: 'UTC', dateStyle: 'full', timeStyle: 'long' }),
      number: (1234567.891).toLocaleString(tag),
      list: new Intl.ListFormat(tag).format(['a', 'b', 'c']),
    },
  }
}

const LOCALES: readonly Locale[] = [
  locale(['en-US', 'en'], 'America/New_York'),
  locale(['en-US'], 'America/Los_Angeles'),
  locale(['en-US', 'en'], 'America/Chicago'),
  locale(['en-GB', 'en'], 'Europe/London'),
  locale(['de-DE', 'de', 'en-US', 'en'], 'Europe/Berlin'),
  locale(['fr-FR', 'fr', 'en-US', 'en'], 'Europe/Paris'),
  locale(['es-ES', 'es'], 'Europe/Madrid'),
  locale(['pt-BR', 'pt', 'en'], 'America/Sao_Paulo'),
  locale(['ja-JP', 'ja'], 'Asia/Tokyo'),
  locale(['hi-IN', 'en-IN', 'en'], 'Asia/Kolkata'),
]

const tzOffsetCache = new Map<string, number>()
const tzFormats = new Map<string, Intl.DateTimeFormat>()
/** `getTimezoneOffset()` of a zone on a given day (DST included), cached per zone and day. */
function tzOffset(timeZone: string, tsUs: number): number {
  const day = Math.floor(tsUs / DAY_US)
  const key = `${timeZone}:${day}`
  let off = tzOffsetCache.get(key)
  if (off === undefined) {
    const d = new Date(day * 86_400_000 + 43_200_000)
    let format = tzFormats.get(timeZone)
    if (!format) {
      format = new Intl.DateTimeFormat('en-US', {
        timeZone,
        hourCycle: 'h23',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
      })
      tzFormats.set(timeZone, format)
    }
    const parts = format.formatToParts(d)
    const get = (t: string) => Number(parts.find((p) => p.type === t)!.value)
    const local = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'))
    off = Math.round((d.getTime() - local) / 60_000)
    tzOffsetCache.set(key, off)
  }
  return off
}

const MATH: Record<Family['engine'], Record<string, number>> = (() => {
  const base: Record<string, number> = {
    acos: Math.acos(0.12312423423423424),
    acosh: Math.acosh(1e308),
    asin: Math.asin(0.12312423423423424),
    asinh: Math.asinh(1),
    atan: Math.atan(0.5),
    atanh: Math.atanh(0.5),
    cbrt: Math.cbrt(100),
    cos: Math.cos(10.000000000123),
    cosh: Math.cosh(1),
    exp: Math.exp(1),
    expm1: Math.expm1(1),
    log1p: Math.log1p(10),
    sin: Math.sin(-1e300),
    sinh: Math.sinh(1),
    tan: Math.tan(-1e300),
    tanh: Math.tanh(1),
    pow: Math.PI ** -100,
  }
  return {
    v8: base,
    jsc: { ...base, tan: -1.4214488238747245, expm1: 1.718281828459045, sinh: 1.1752011936438016 },
    gecko: { ...base, tan: -1.4214488238747245, cosh: 1.5430806348152437, pow: 1.9275814160560204e-50 },
  }
})()

const STACKS: Record<Family['engine'], { format: string; header: boolean; frames: string[] }> = {
  v8: {
    format: 'at',
    header: true,
    frames: [
      'at errorStack (URL)',
      'at collect (URL)',
      'at Object.get (URL)',
      'at load (URL)',
      'at URL',
      'at async Promise.all (index 0)',
    ],
  },
  jsc: {
    format: '@',
    header: false,
    frames: [
      'errorStack@URL',
      'collect@URL',
      'get@URL',
      'load@URL',
      '@URL',
      'promiseReactionJob@[native code]',
    ],
  },
  gecko: {
    format: '@',
    header: false,
    frames: ['errorStack@URL', 'collect@URL', 'get@URL', 'load@URL', '@URL'],
  },
}

const PDF_PLUGINS = {
  names: [
    'Chrome PDF Viewer',
    'Chromium PDF Viewer',
    'Microsoft Edge PDF Viewer',
    'PDF Viewer',
    'WebKit built-in PDF',
  ],
  mimeTypes: ['application/pdf', 'text/pdf'],
}

/** Fonts a user may install later (a new stable value: a new fingerprint). */
const NEW_FONTS = [
  'Comic Sans MS',
  'Roboto',
  'Source Code Pro',
  'Noto Sans CJK SC',
  'Ubuntu',
  'Myriad Pro',
  'SimSun',
]

/** One browser on one device: everything about it that does not change from visit to visit. */
export interface Device {
  family: number
  screen: readonly [number, number, number]
  frameBottom: number
  cores: number
  timeZone: string
  /** Component values, shared by every visit of the device (so their JSON is computed once). */
  v: {
    audio: number
    incognito: { quota: number | null; jsHeapSizeLimit: number | null }
    speechVoices: { count: number; local: number }
    mediaDevices: { audioinput: number; audiooutput: number; videoinput: number } | null
    languages: readonly string[]
    screen: { width: number; height: number; colorDepth: number }
    screenSize: { long: number; short: number; colorDepth: number }
    screenFrame: { top: number; left: number; right: number; bottom: number }
    deviceMemory: number | null
    media: Record<string, unknown>
    intl: Record<string, unknown>
    intlFormat: Locale['format']
    canvas: { text: string; geometry: string }
    webgl: Record<string, unknown> | null
    webglParams: { params: string; extensions: string; extensionCount: number } | null
    fonts: string[]
  }
}

/** Per family: the component values every device of the family shares. */
const FAMILY_VALUES = FAMILIES.map((f) => ({
  touchSupport: { maxTouchPoints: f.touch, touchEvent: f.touch > 0, touchStart: f.touch > 0 },
  plugins: f.mobile ? { names: [], mimeTypes: [] } : PDF_PLUGINS,
  chrome: f.chromeKeys ? { keys: f.chromeKeys } : null,
  math: MATH[f.engine],
  errorStack: STACKS[f.engine],
}))
const PERMISSIONS = { state: 'prompt', notification: 'default' }
const WEBDRIVER = { value: false, native: true }
const STORAGE = { cookies: true, localStorage: true, sessionStorage: true, indexedDB: true }

const deviceCache = new Map<number, Device>()

/**
 * Device number `n` (deterministic). `version` 1 is the same device after an event that changes its
 * fingerprint (a font installed: a new stable component value).
 */
export function device(n: number, version = 0): Device {
  const key = n * 2 + version
  const hit = deviceCache.get(key)
  if (hit) return hit
  const r = new Rng(mix(0xdeb1ce, n))
  const u = r.next()
  const family = Math.max(
    0,
    FAMILY_CDF.findIndex((c) => u < c),
  )
  const f = FAMILIES[family]!
  const screen = r.pick(f.screens)
  const [w, h] = screen
  const fonts = [...f.fonts, ...f.extraFonts.filter(() => r.chance(0.5))]
  // Drawn whatever the version, so that the rest of the device stays the same.
  const extra = r.int(NEW_FONTS.length)
  if (version > 0) {
    for (let i = 0; i < NEW_FONTS.length; i++) {
      const font = NEW_FONTS[(extra + i) % NEW_FONTS.length]!
      if (!fonts.includes(font)) {
        fonts.push(font)
        break
      }
    }
  }
  fonts.sort()
  const gpu = f.gpus ? r.pick(f.gpus) : null
  const cores = r.pick(f.cores)
  const memory = f.memory ? r.pick(f.memory) : null
  const loc = r.pick(LOCALES)
  const frameBottom = f.mobile ? 0 : r.pick([40, 48, 25, 0])
  const voices = r.pick(f.voices)
  const dark = r.chance(0.3)
  const d: Device = {
    family,
    screen,
    frameBottom,
    cores,
    timeZone: loc.timeZone,
    v: {
      audio: f.engine === 'jsc' ? 35.10893253237009 : 124.04347527516074 + r.int(40) * 1e-12,
      incognito: {
        quota: f.engine === 'gecko' ? 10737418240 : 100_000_000_000 + r.int(200_000_000_000),
        jsHeapSizeLimit: f.engine === 'v8' ? r.pick([2172649472, 4294705152]) : null,
      },
      speechVoices: { count: voices[0], local: voices[1] },
      mediaDevices:
        f.engine === 'jsc' ? null : { audioinput: r.int(3), audiooutput: 1 + r.int(3), videoinput: r.int(2) },
      languages: loc.languages,
      screen: { width: w, height: h, colorDepth: 24 },
      screenSize: { long: Math.max(w, h), short: Math.min(w, h), colorDepth: 24 },
      screenFrame: { top: 0, left: 0, right: 0, bottom: frameBottom },
      deviceMemory: memory,
      media: {
        colorGamut: f.engine === 'jsc' ? 'p3' : 'srgb',
        hdr: false,
        contrast: 'no-preference',
        reducedMotion: false,
        reducedTransparency: false,
        forcedColors: false,
        invertedColors: f.engine === 'v8' ? null : 'none',
        colorScheme: dark ? 'dark' : 'light',
        monochrome: 0,
      },
      intl: {
        locale: loc.languages[0],
        calendar: 'gregory',
        numberingSystem: 'latn',
        timeZone: loc.timeZone,
        hourCycle: loc.hourCycle,
      },
      intlFormat: loc.format,
      canvas: { text: r.hex(32), geometry: r.hex(32) },
      webgl: gpu
        ? {
            version: f.engine === 'gecko' ? 'WebGL 1.0' : 'WebGL 1.0 (OpenGL ES 2.0 Chromium)',
            vendor: f.webglVendor,
            renderer: f.webglVendor === 'Mozilla' ? 'Mozilla' : 'WebKit WebGL',
            unmaskedVendor: gpu[0],
            unmaskedRenderer: gpu[1],
            precision: '127,127,23;127,127,23;127,127,23;127,127,23;127,127,23;127,127,23;31,30,0;31,30,0',
          }
        : null,
      webglParams: gpu ? { params: r.hex(32), extensions: r.hex(32), extensionCount: 30 + r.int(12) } : null,
      fonts: [...new Set(fonts)],
    },
  }
  // Visits come in time order, so a visitor's next visit is usually far away: keep many devices.
  if (deviceCache.size >= 50_000) deviceCache.clear()
  deviceCache.set(key, d)
  return d
}

export type { Components }

/** What the agent sends for `d` on one visit (per-visit noise: durations, viewport, DST offset). */
export function components(d: Device, r: Rng, tsUs: number): Components {
  const f = FAMILIES[d.family]!
  const fv = FAMILY_VALUES[d.family]!
  const v = d.v
  // The agent rounds durations to whole milliseconds.
  const c = (value: unknown, max = 2) => ({ value, duration: Math.round(r.next() * max) })
  const [w, h, dpr] = d.screen
  const innerW = f.mobile ? w : Math.min(w, Math.round(w * (0.6 + r.next() * 0.4)))
  const innerH = f.mobile ? h - 100 - r.int(60) : Math.round((h - d.frameBottom) * (0.7 + r.next() * 0.2))
  return {
    audio: c(v.audio, 30),
    uaHints: c(f.uaHints, 8),
    incognito: c(v.incognito, 3),
    permissions: c(PERMISSIONS, 4),
    speechVoices: c(v.speechVoices, 50),
    mediaDevices: c(v.mediaDevices, 6),
    userAgent: c(f.userAgent, 0),
    webdriver: c(WEBDRIVER, 0),
    timezone: c({ name: d.timeZone, offset: tzOffset(d.timeZone, tsUs) }, 1),
    languages: c(v.languages, 0),
    screen: c(v.screen, 0),
    screenSize: c(v.screenSize, 0),
    screenFrame: c(v.screenFrame, 0),
    viewport: c({
      innerWidth: innerW,
      innerHeight: innerH,
      outerWidth: w,
      outerHeight: h,
      devicePixelRatio: dpr,
    }),
    hardwareConcurrency: c(d.cores, 0),
    deviceMemory: c(v.deviceMemory, 0),
    platform: c(f.platform, 0),
    vendor: c(f.vendor, 0),
    plugins: c(fv.plugins, 1),
    pdfViewerEnabled: c(f.pdf, 0),
    touchSupport: c(fv.touchSupport, 1),
    storage: c(STORAGE, 1),
    math: c(fv.math, 1),
    media: c(v.media, 2),
    intl: c(v.intl, 1),
    intlFormat: c(v.intlFormat, 1),
    chrome: c(fv.chrome, 0),
    errorStack: c(fv.errorStack, 1),
    canvas: c(v.canvas, 12),
    webgl: c(v.webgl, 20),
    webglParams: c(v.webglParams, 5),
    fonts: c(v.fonts, 40),
  }
}

const jsonMemo = new WeakMap<object, string>()
/** JSON.stringify(comps), exactly, reusing the text of values shared between visits. */
export function componentsJson(comps: Components): string {
  let out = '{'
  let first = true
  for (const name in comps) {
    const { value, duration } = comps[name]!
    let text: string | undefined
    if (typeof value === 'object' && value !== null) {
      text = jsonMemo.get(value)
      if (text === undefined) {
        text = JSON.stringify(value)
        jsonMemo.set(value, text)
      }
    } else text = JSON.stringify(value)
    out += `${first ? '' : ','}"${name}":{"value":${text},"duration":${duration}}`
    first = false
  }
  return `${out}}`
}

/** The fingerprint the server computes for device `n` (same function, from the built server). */
export const fingerprintOf = (comps: Components): string => computeFingerprint(comps, STABLE_COMPONENTS)

// ---------------------------------------------------------------------------------------------------
// Visitors and visits

/** Enrichment JSON as the running server wrote it, per device family and per client IP. */
export interface Templates {
  /** visitor_details object per family (its `asn` is replaced per IP). */
  details: Record<string, unknown>[]
  /** bot JSON text per family. */
  bot: string[]
  /** Client IPs and, per IP, the ip_location JSON text (or null) and the asn value. */
  ips: string[]
  ipLocation: (string | null)[]
  asn: unknown[]
}

/** A pool of public IPv4 addresses (deterministic), one enrichment template each. */
export function ipPool(n: number, seed: number): string[] {
  const r = new Rng(mix(0x1b, seed))
  const out: string[] = []
  while (out.length < n) {
    const a = 1 + r.int(223)
    const b = r.int(256)
    if (a === 10 || a === 127 || a === 0 || (a === 100 && b >= 64 && b < 128)) continue
    if ((a === 169 && b === 254) || (a === 172 && b >= 16 && b < 32) || (a === 192 && b === 168)) continue
    if (a === 198 && (b === 18 || b === 19)) continue
    out.push(`${a}.${b}.${r.int(256)}.${1 + r.int(254)}`)
  }
  return out
}

export interface VisitRow {
  request_id: string
  app_id: string
  visitor_id: string
  ts: number
  fingerprint: string
  url: string
  ip: string
  tag: string | null
  linked_id: string | null
  ip_location: string | null
  visitor_details: string
  components: string
  identification: string
  bot: string
}

export interface VisitorRow {
  app_id: string
  visitor_id: string
  first_seen_at: number
  last_seen_at: number
}

/** Mean of a Zipf distribution on 1..k with exponent s. */
function zipfMean(s: number, k: number): number {
  let num = 0
  let den = 0
  for (let i = 1; i <= k; i++) {
    const p = i ** -s
    num += i * p
    den += p
  }
  return num / den
}

/** Visit counts for `visitors` visitors summing to exactly `visits`: Zipf-like, capped at `cap`. */
export function visitCounts(visitors: number, visits: number, cap: number, r: Rng): Int32Array {
  const mean = visits / visitors
  const k = Math.max(2, Math.min(cap, visits))
  let lo = 1.0001
  let hi = 6
  if (zipfMean(lo, k) < mean) hi = lo
  for (let i = 0; i < 60 && hi - lo > 1e-6; i++) {
    const mid = (lo + hi) / 2
    if (zipfMean(mid, k) > mean) lo = mid
    else hi = mid
  }
  const s = (lo + hi) / 2
  const cdf = new Float64Array(k)
  let acc = 0
  for (let i = 1; i <= k; i++) cdf[i - 1] = acc += i ** -s
  for (let i = 0; i < k; i++) cdf[i]! /= acc
  const draw = () => {
    const u = r.next()
    let a = 0
    let b = k - 1
    while (a < b) {
      const m = (a + b) >> 1
      if (cdf[m]! < u) a = m + 1
      else b = m
    }
    return a + 1
  }
  // Keep the sample whose total is nearest the target, then adjust it by single visits.
  let best = new Int32Array(visitors)
  let bestDiff = Number.POSITIVE_INFINITY
  for (let attempt = 0; attempt < 40 && bestDiff > visits * 0.01; attempt++) {
    const c = new Int32Array(visitors)
    let sum = 0
    for (let i = 0; i < visitors; i++) sum += c[i] = draw()
    if (Math.abs(sum - visits) < bestDiff) {
      best = c
      bestDiff = Math.abs(sum - visits)
    }
  }
  let sum = best.reduce((x, y) => x + y, 0)
  while (sum < visits) {
    best[r.int(visitors)]!++
    sum++
  }
  while (sum > visits) {
    const i = r.int(visitors)
    if (best[i]! > 1) {
      best[i]!--
      sum--
    }
  }
  return best
}

const PAGES = ['/', '/products', '/cart', '/checkout', '/account', '/search', '/blog', '/help/shipping']

/** One visit of visitor `v`: its time, device version and `salt` (what makes the visit row). */
export interface VisitRef {
  v: number
  ts: number
  version: number
  isFirst: boolean
  salt: number
}

/**
 * The visits of a visitor whose identity rows the server would have written: its first visit (the
 * claim), the last visit with each fingerprint it showed (its profile and candidate-index rows).
 */
export interface VisitorHistory {
  v: number
  first: VisitRef
  /** The last visit with the original fingerprint (absent when the first visit already had the new one). */
  lastV0: VisitRef | null
  /** The last visit with the changed fingerprint, for visitors whose browser changed. */
  lastV1: VisitRef | null
}

export interface StageData {
  visitorsFrom: number
  visitorsTo: number
  visitors: VisitorRow[]
  histories: VisitorHistory[]
  /** Visits within `windowUs` of the end of the data, in time order (the replay table keeps these). */
  recentVisits(windowUs: number): VisitRef[]
  visitCount: number
  /** Visits in time order, as real ones are inserted. */
  visits(): Generator<VisitRow>
}

export interface DatasetOptions {
  visits: number
  visitors: number
  stages: number
  seed: number
  now: number
}

/**
 * Visitor `i` is device `i`; visitors are loaded in stages (each stage 10× the previous one in visitors
 * and visits). Counts per visitor are Zipf-like with a heavy tail; each visitor is active over a window of
 * the last six months, and one in ten of those with several visits changed fingerprint in the middle.
 */
export class Dataset {
  readonly visitorIds: string[]
  readonly counts: Int32Array
  readonly stageVisitors: number[]
  readonly stageVisits: number[]
  /** The fingerprint a returning visitor shows now (the latest one), and its last-seen time. */
  readonly currentFp: string[]
  readonly currentVersion: Uint8Array
  readonly lastSeen: Float64Array
  /** The client IP of visitor `v`'s last visit: the address its stored profile holds. */
  readonly profileIp: string[]
  appId = ''
  templates: Templates | null = null
  private readonly detailCache = new Map<number, string>()

  constructor(private readonly opts: DatasetOptions) {
    const { visits, visitors, stages } = opts
    const r = new Rng(mix(0x5ca1e, opts.seed))
    this.stageVisitors = []
    this.stageVisits = []
    for (let s = stages - 1; s >= 0; s--) {
      this.stageVisitors.push(Math.max(1, Math.round(visitors / 10 ** s)))
      this.stageVisits.push(Math.max(1, Math.round(visits / 10 ** s)))
    }
    this.counts = new Int32Array(visitors)
    let v0 = 0
    let n0 = 0
    for (let s = 0; s < stages; s++) {
      const nv = this.stageVisitors[s]! - v0
      const nn = this.stageVisits[s]! - n0
      if (nv > 0) {
        if (nn < nv) throw new Error('--visits must be at least --visitors')
        this.counts.set(visitCounts(nv, nn, Math.max(50, Math.min(5000, Math.round(nn / 20))), r), v0)
      }
      v0 = this.stageVisitors[s]!
      n0 = this.stageVisits[s]!
    }
    const idRng = new Rng(mix(0x1d5, opts.seed))
    this.visitorIds = Array.from({ length: visitors }, () => idRng.alnum(20))
    this.currentFp = new Array<string>(visitors).fill('')
    this.currentVersion = new Uint8Array(visitors)
    this.lastSeen = new Float64Array(visitors)
    this.profileIp = new Array<string>(visitors).fill('')
  }

  /** Whether visitor `v` changed fingerprint, and when. */
  private change(v: number, start: number, end: number): number | null {
    if (this.counts[v]! < 4) return null
    const r = new Rng(mix(0xc4a, v, this.opts.seed))
    return r.chance(0.1) ? start + (end - start) * (0.3 + r.next() * 0.4) : null
  }

  /** Visitor `v`'s activity window (µs). */
  private window(v: number): [number, number] {
    const r = new Rng(mix(0x3d, v, this.opts.seed))
    const now = this.opts.now
    const c = this.counts[v]!
    const a = r.next()
    const b = c === 1 ? a : c > 50 ? Math.min(a, r.next() * 0.1) : r.next()
    return [now - SPAN_US * Math.max(a, b), now - SPAN_US * Math.min(a, b) - 1_000_000]
  }

  private fpCache = new Map<number, string>()
  fingerprint(v: number, version: number): string {
    const key = v * 2 + version
    let fp = this.fpCache.get(key)
    if (fp === undefined) {
      fp = fingerprintOf(components(device(v, version), new Rng(1), this.opts.now))
      this.fpCache.set(key, fp)
    }
    return fp
  }

  stage(s: number): StageData {
    const from = s === 0 ? 0 : this.stageVisitors[s - 1]!
    const to = this.stageVisitors[s]!
    let n = 0
    for (let v = from; v < to; v++) n += this.counts[v]!
    const ts = new Float64Array(n)
    const who = new Int32Array(n)
    const firstJ = new Int32Array(to - from).fill(-1)
    const lastJ = new Int32Array(to - from).fill(-1)
    const lastV0J = new Int32Array(to - from).fill(-1)
    const lastV1J = new Int32Array(to - from).fill(-1)
    const changeAt = new Float64Array(to - from).fill(Number.POSITIVE_INFINITY)
    let m = 0
    for (let v = from; v < to; v++) {
      const [start, end] = this.window(v)
      const ch = this.change(v, start, end)
      const k = v - from
      if (ch !== null) changeAt[k] = ch
      const r = new Rng(mix(0x75, v, this.opts.seed))
      const later = (a: number, j: number) => a < 0 || ts[j]! > ts[a]! || (ts[j] === ts[a] && j > a)
      for (let j = 0; j < this.counts[v]!; j++) {
        const t = Math.floor(start + r.next() * (end - start))
        ts[m] = t
        who[m] = v
        if (firstJ[k]! < 0 || !later(firstJ[k]!, m)) firstJ[k] = m
        if (later(lastJ[k]!, m)) lastJ[k] = m
        if (t < changeAt[k]!) {
          if (later(lastV0J[k]!, m)) lastV0J[k] = m
        } else if (later(lastV1J[k]!, m)) lastV1J[k] = m
        m++
      }
    }
    const order = new Uint32Array(n)
    for (let i = 0; i < n; i++) order[i] = i
    order.sort((a, b) => ts[a]! - ts[b]! || a - b)

    const appId = this.appId
    const visitors: VisitorRow[] = []
    const histories: VisitorHistory[] = []
    const ref = (v: number, j: number): VisitRef => ({
      v,
      ts: ts[j]!,
      version: ts[j]! >= changeAt[v - from]! ? 1 : 0,
      isFirst: j === firstJ[v - from],
      salt: j,
    })
    for (let v = from; v < to; v++) {
      const k = v - from
      const visitor_id = this.visitorIds[v]!
      visitors.push({
        app_id: appId,
        visitor_id,
        first_seen_at: ts[firstJ[k]!]!,
        last_seen_at: ts[lastJ[k]!]!,
      })
      histories.push({
        v,
        first: ref(v, firstJ[k]!),
        lastV0: lastV0J[k]! < 0 ? null : ref(v, lastV0J[k]!),
        lastV1: lastV1J[k]! < 0 ? null : ref(v, lastV1J[k]!),
      })
      const version = lastV1J[k]! < 0 ? 0 : 1
      this.currentFp[v] = this.fingerprint(v, version)
      this.currentVersion[v] = version
      this.lastSeen[v] = ts[lastJ[k]!]!
      this.profileIp[v] = this.visitIp(v, lastJ[k]!).ip
    }

    const self = this
    return {
      visitorsFrom: from,
      visitorsTo: to,
      visitors,
      histories,
      visitCount: n,
      recentVisits(windowUs) {
        const since = self.opts.now - windowUs
        const out: VisitRef[] = []
        for (let i = 0; i < n; i++) {
          const j = order[i]!
          if (ts[j]! >= since) out.push(ref(who[j]!, j))
        }
        return out
      },
      *visits() {
        for (let i = 0; i < n; i++) {
          const r = ref(who[order[i]!]!, order[i]!)
          yield self.visit(r.v, r.ts, r.version, r.isFirst, r.salt)
        }
      },
    }
  }

  /** The client IP of visitor `v`'s visit `salt`: its home address, or one of the pool's in one visit of five. */
  visitIp(v: number, salt: number): { ip: string; ipIdx: number } {
    const t = this.templates!
    const r = new Rng(mix(0x1b1, v, salt, this.opts.seed))
    const homeIp = mix(0x19, v) % t.ips.length
    const ipIdx = r.chance(0.2) ? r.int(t.ips.length) : homeIp
    return { ip: t.ips[ipIdx]!.replace(/\.\d+$/, `.${1 + (mix(0x1a, v) % 254)}`), ipIdx }
  }

  /** visitor_details JSON for a family seen from pool IP `ip`: the family's, with that IP's ASN. */
  details(family: number, ip: number): string {
    const key = family * 65536 + ip
    let s = this.detailCache.get(key)
    if (s === undefined) {
      const t = this.templates!
      s = JSON.stringify({ ...t.details[family], asn: t.asn[ip] })
      this.detailCache.set(key, s)
    }
    return s
  }

  /** The components visitor `v`'s visit `salt` sent: those of its visit row (same generator, same seed). */
  visitComponents(v: number, version: number, tsUs: number, salt: number): Components {
    return components(device(v, version), new Rng(mix(0x715, v, salt, this.opts.seed)), tsUs)
  }

  visit(v: number, tsUs: number, version: number, isFirst: boolean, salt: number): VisitRow {
    const t = this.templates!
    const r = new Rng(mix(0x715, v, salt, this.opts.seed))
    const d = device(v, version)
    const comps = components(d, r, tsUs)
    const { ip, ipIdx } = this.visitIp(v, salt)
    const page = r.pick(PAGES)
    const url =
      page === '/products'
        ? `https://shop.example/products/${r.int(5000)}?utm_source=${r.pick(['google', 'newsletter', 'facebook'])}`
        : page === '/search'
          ? `https://shop.example/search?q=${r.alnum(6)}`
          : `https://shop.example${page}`
    const ms = Math.floor(tsUs / 1000)
    const path = isFirst ? 'new' : r.chance(0.8) ? 'storedId' : 'fingerprint'
    const identification =
      path === 'new'
        ? {
            path,
            confidence: 0.7,
            reasons: ['no stored identifier', 'no fingerprint match: new visitor'],
            storedId: 'absent',
          }
        : path === 'storedId'
          ? { path, confidence: 1, reasons: ['valid stored identifier'], storedId: 'valid' }
          : {
              path,
              confidence: 0.9,
              reasons: ['no stored identifier', 'exact fingerprint match'],
              storedId: 'absent',
            }
    return {
      request_id: `${String(ms).padStart(13, '0')}.${r.alnum(6)}`,
      app_id: this.appId,
      visitor_id: this.visitorIds[v]!,
      ts: tsUs,
      fingerprint: this.fingerprint(v, version),
      url,
      ip,
      tag: r.chance(0.3)
        ? JSON.stringify(
            page === '/checkout'
              ? { orderId: r.int(1e7), cartValue: r.int(50000) / 100, currency: 'EUR' }
              : { page, campaign: r.pick(['spring', 'bf2025', 'none']) },
          )
        : null,
      linked_id: r.chance(0.25) ? `user-${mix(0x11, v) % 10_000_000}` : null,
      ip_location: t.ipLocation[ipIdx] ?? null,
      visitor_details: this.details(d.family, ipIdx),
      components: componentsJson(comps),
      identification: JSON.stringify(identification),
      bot: t.bot[d.family]!,
    }
  }
}
