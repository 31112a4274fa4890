// Population: devices and browsers sampled from fingerprint-generator's Bayesian network (real joint
// distributions of user agent, screen, GPU, CPU, memory, plugins, fonts), made coherent, placed in a
// geography, and turned into OUR agent's components.
import { FingerprintGenerator } from 'fingerprint-generator'
import { hash } from '../../packages/agent/src/hash.js'
import { FONTS } from '../../packages/agent/src/sources/fonts.js'
import type { AccuracyConfig } from './config.js'
import { COUNTRIES, type Country, ENTERPRISE_ASNS, type Isp, intlFor } from './geo.js'
import { hashUnit, paretoInt, pick, pickW, type Rng, rngFor, withSeededMathRandom } from './rng.js'

export type Engine = 'blink' | 'gecko' | 'webkit'
export type Family = 'chrome' | 'edge' | 'firefox' | 'safari' | 'samsung' | 'opera' | 'other'
export type OsFamily = 'windows' | 'macos' | 'linux' | 'android' | 'ios' | 'chromeos'
export type Platform = 'desktop' | 'mobile'

interface Raw {
  userAgent: string
  userAgentData: any
  platform: string
  vendor: string
  deviceMemory: number | null
  hardwareConcurrency: number
  maxTouchPoints: number
  screen: any
  pluginsData: any
  videoCard: { vendor: string; renderer: string } | null
  multimediaDevices: any
  fonts: string[]
  pdfViewerEnabled: boolean
}

export interface ScreenSpec {
  width: number
  height: number
  colorDepth: number
  availTop: number
  availLeft: number
  availWidth: number
  availHeight: number
  dpr: number
  hdr: boolean
}

export interface Device {
  idx: number
  id: string
  person: number
  platform: Platform
  os: OsFamily
  arch: 'x86' | 'arm'
  gpu: { vendor: string; renderer: string; cls: string } | null
  cores: number
  memory: number | null
  screen: ScreenSpec
  monitor: { width: number; height: number; dpr: number } | null
  fonts: string[]
  country: Country
  zone: string
  languages: string[]
  isp: Isp
  office: { asn: number; ip: string; country: string } | null
  /** Hidden rendering variant (font smoothing, display scaling…): part of canvas. */
  renderVariant: number
  cloneGroup: string | null
  /** Index into the Apple release list (Apple devices), or -1 (frozen old OS). */
  appleIdx: number
  touchPoints: number
  media: { gamut: string; mediaDevices: Record<string, number> }
  diskGiB: number
  browsers: Browser[]
  /** Set for a device that replaced an earlier device of the same person. */
  replaces: Device | null
}

export interface Browser {
  idx: number
  id: string
  device: Device
  family: Family
  engine: Engine
  ua: string
  uaHints: any
  major: number
  /** Never updates (an old version that is past its update channel). */
  frozen: boolean
  platformStr: string
  vendor: string
  deviceMemory: number | null
  plugins: { names: string[]; mimeTypes: string[] } | null
  pdfViewerEnabled: boolean
  languages: string[]
  randomizer: boolean
  cookieBlocker: boolean
  darkMode: 'light' | 'dark' | 'auto'
  permission: { state: string | null; notification: string | null }
  /** Browser opened with a second browser on the same device. */
  secondary: boolean
}

// ---------------------------------------------------------------- parsing

const FAMILIES: [RegExp, Family, Engine | 'ios'][] = [
  [/Edg(?:A|iOS)?\/(\d+)/, 'edge', 'ios'],
  [/OPR\/(\d+)/, 'opera', 'blink'],
  [/SamsungBrowser\/(\d+)/, 'samsung', 'blink'],
  [/CriOS\/(\d+)/, 'chrome', 'webkit'],
  [/FxiOS\/(\d+)/, 'firefox', 'webkit'],
  [/Firefox\/(\d+)/, 'firefox', 'gecko'],
  [/Chrome\/(\d+)/, 'chrome', 'blink'],
  [/Version\/(\d+)/, 'safari', 'webkit'],
]

export function parseFamily(ua: string): { family: Family; engine: Engine; major: number } {
  const ios = /iPhone|iPad|iPod/.test(ua)
  for (const [re, family, engine] of FAMILIES) {
    const m = re.exec(ua)
    if (m)
      return { family, engine: engine === 'ios' ? (ios ? 'webkit' : 'blink') : engine, major: Number(m[1]) }
  }
  return { family: 'other', engine: 'blink', major: 0 }
}

export function parseOs(ua: string): OsFamily {
  if (/Windows NT/.test(ua)) return 'windows'
  if (/Android/.test(ua)) return 'android'
  if (/iPhone|iPad|iPod/.test(ua)) return 'ios'
  if (/CrOS/.test(ua)) return 'chromeos'
  if (/Mac OS X|Macintosh/.test(ua)) return 'macos'
  return 'linux'
}

const isMobileUa = (ua: string) => /Mobile|Android|iPhone|iPod/.test(ua)

// ---------------------------------------------------------------- raw sampling

const STRINGIFIED = '*STRINGIFIED*'
const MISSING = '*MISSING_VALUE*'

/** Samples raw fingerprints from the generator's network, conditioned on a user agent drawn per platform. */
export class RawSource {
  private net: any
  private uas: Record<Platform, { values: string[]; cum: number[] }> = {
    desktop: { values: [], cum: [] },
    mobile: { values: [], cum: [] },
  }

  constructor(seed: number) {
    const gen = withSeededMathRandom(seed, () => new FingerprintGenerator())
    this.net = gen.fingerprintGeneratorNetwork
    const probs = this.net.nodesByName.userAgent.getProbabilitiesGivenKnownValues({}) as Record<
      string,
      number
    >
    for (const [ua, p] of Object.entries(probs).sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
      if (!/Mozilla/.test(ua) || /bot|Headless/i.test(ua)) continue
      const list = this.uas[isMobileUa(ua) ? 'mobile' : 'desktop']
      list.values.push(ua)
      list.cum.push((list.cum[list.cum.length - 1] ?? 0) + p)
    }
  }

  sample(rng: Rng, platform: Platform, filter?: (ua: string) => boolean): Raw {
    const list = this.uas[platform]
    for (let attempt = 0; attempt < 200; attempt++) {
      const r = rng() * list.cum[list.cum.length - 1]!
      let i = list.cum.findIndex((c) => c > r)
      if (i < 0) i = list.values.length - 1
      const ua = list.values[i]!
      if (filter && !filter(ua)) continue
      const s = withSeededMathRandom(Math.floor(rng() * 2 ** 32), () =>
        this.net.generateSample({ userAgent: ua }),
      )
      const v: Record<string, any> = {}
      for (const [k, val] of Object.entries(s as Record<string, string>)) {
        v[k] =
          val === MISSING
            ? null
            : val.startsWith(STRINGIFIED)
              ? JSON.parse(val.slice(STRINGIFIED.length))
              : val
      }
      if (!v.screen || !v.platform) continue
      return {
        userAgent: ua,
        userAgentData: v.userAgentData ?? null,
        platform: v.platform,
        vendor: v.vendor ?? '',
        deviceMemory: v.deviceMemory == null ? null : Number(v.deviceMemory),
        hardwareConcurrency: Number(v.hardwareConcurrency) || 4,
        maxTouchPoints: Number(v.maxTouchPoints) || 0,
        screen: v.screen,
        pluginsData: v.pluginsData,
        videoCard: v.videoCard ?? null,
        multimediaDevices: v.multimediaDevices,
        fonts: Array.isArray(v.fonts) ? v.fonts : [],
        pdfViewerEnabled: v.extraProperties?.pdfViewerEnabled ?? false,
      }
    }
    throw new Error(`could not sample a ${platform} fingerprint`)
  }
}

// ---------------------------------------------------------------- coherence rules

/** GPU family: decides plausible CPU core counts and memory, and shader precision. */
export function gpuClass(renderer: string, os: OsFamily): string {
  const r = renderer
  if (os === 'ios') return 'apple-mobile'
  if (/Apple M\d|Apple GPU|Metal Renderer: Apple/.test(r)) return 'apple-m'
  if (/Adreno/.test(r)) return 'adreno'
  if (/Mali|Immortalis/.test(r)) return 'mali'
  if (/PowerVR|Xclipse|Maleoon/.test(r)) return 'mobile-other'
  if (/RTX|RX [5-9]\d\d\d|Radeon RX 7/.test(r)) return 'gpu-high'
  if (/GTX|GT \d|Quadro|Radeon (R\d|RX|HD)/.test(r)) return 'gpu-mid'
  if (/Iris\(R\) Xe|Arc|UHD Graphics 7\d\d|Intel\(R\) Graphics/.test(r)) return 'intel-new'
  if (/Intel/.test(r)) return 'intel-old'
  if (/Radeon/.test(r)) return 'amd-apu'
  if (/SwiftShader|llvmpipe|Basic Render/.test(r)) return 'software'
  return 'other'
}

const CORES: Record<string, [number, number][]> = {
  'intel-old': [
    [2, 2],
    [4, 6],
    [8, 3],
  ],
  'intel-new': [
    [8, 3],
    [12, 4],
    [16, 3],
    [4, 1],
  ],
  'amd-apu': [
    [6, 2],
    [8, 2],
    [12, 3],
    [16, 3],
  ],
  'gpu-mid': [
    [4, 3],
    [6, 2],
    [8, 3],
    [12, 2],
  ],
  'gpu-high': [
    [8, 2],
    [12, 3],
    [16, 3],
    [20, 2],
    [24, 2],
    [32, 1],
  ],
  'apple-m': [
    [8, 5],
    [10, 3],
    [12, 2],
    [14, 1],
  ],
  adreno: [[8, 1]],
  mali: [
    [8, 4],
    [6, 1],
  ],
}
const MIN_MEMORY: Record<string, number> = { 'gpu-high': 8, 'gpu-mid': 4, 'intel-new': 8, 'apple-m': 8 }

// ---------------------------------------------------------------- fonts

const FONT_SET = new Set(FONTS)
const WIN_BASE = [
  'Bahnschrift',
  'Calibri',
  'Cambria',
  'Candara',
  'Comic Sans MS',
  'Consolas',
  'Constantia',
  'Corbel',
  'Ebrima',
  'Franklin Gothic',
  'Gadugi',
  'Leelawadee UI',
  'Lucida Console',
  'Malgun Gothic',
  'Microsoft YaHei',
  'MS Gothic',
  'Nirmala UI',
  'Segoe UI',
  'SimSun',
  'Yu Gothic',
]
const OFFICE = [
  'Agency FB',
  'Arial Narrow',
  'Century Gothic',
  'Haettenschweiler',
  'Lucida Bright',
  'Monotype Corsiva',
  'Calibri',
  'Cambria',
  'Candara',
  'Consolas',
  'Constantia',
  'Corbel',
]
const MAC_BASE = [
  'Arial Narrow',
  'Arial Unicode MS',
  'Avenir',
  'Comic Sans MS',
  'Futura',
  'Geneva',
  'Gill Sans',
  'Helvetica Neue',
  'Hiragino Sans',
  'Menlo',
  'Monaco',
  'Optima',
  'Palatino',
]
const IOS_BASE = [
  'Avenir',
  'Futura',
  'Gill Sans',
  'Helvetica Neue',
  'Hiragino Sans',
  'Menlo',
  'Optima',
  'Palatino',
]
const ANDROID_BASE = ['Roboto', 'Noto Color Emoji', 'Droid Sans']
const LINUX_BASE = ['DejaVu Sans', 'Liberation Sans', 'Noto Color Emoji']
/** Optional desktop fonts and how often they are installed (scaled by the entropy knob). */
export const OPTIONAL_FONTS: [string, number][] = [
  ['Aptos', 0.25],
  ['Arial Unicode MS', 0.08],
  ['Minion Pro', 0.06],
  ['Myriad Pro', 0.07],
  ['Source Code Pro', 0.05],
  ['Roboto', 0.08],
  ['SF Pro', 0.05],
  ['Ubuntu', 0.02],
  ['DejaVu Sans', 0.04],
  ['Liberation Sans', 0.03],
  ['Noto Color Emoji', 0.03],
  ['Noto Sans CJK SC', 0.02],
  ['Droid Sans', 0.02],
  ['Cantarell', 0.01],
  ['Futura', 0.03],
  ['Optima', 0.02],
  ['Palatino', 0.03],
  ['Gill Sans', 0.03],
  ['Century Gothic', 0.05],
  ['Lucida Bright', 0.03],
  ['Monotype Corsiva', 0.03],
  ['Agency FB', 0.03],
]

export const sortFonts = (fonts: Iterable<string>): string[] => {
  const set = new Set(fonts)
  return FONTS.filter((f) => set.has(f))
}

// ---------------------------------------------------------------- device + browsers

export interface Population {
  devices: Device[]
  browsers: Browser[]
  entropy: { desktop: number; mobile: number }
  popular: { desktop: number; mobile: number }
}

interface Seeds {
  raw: Raw
  /** Uniform draws that decide optional fonts and the render variant (coupled across entropy values). */
  u: number[]
}

const LANG_CJK = /^(ja|zh|ko)/

function buildDevice(
  cfg: AccuracyConfig,
  idx: number,
  person: number,
  platform: Platform,
  seeds: Seeds,
  entropy: number,
  geoRng: Rng,
): Device {
  const raw = seeds.raw
  const rng = rngFor(cfg.seed, 'device', idx)
  const os = parseOs(raw.userAgent)
  const arch: 'x86' | 'arm' =
    os === 'ios' ||
    os === 'android' ||
    raw.userAgentData?.architecture === 'arm' ||
    /Apple/.test(raw.videoCard?.renderer ?? '')
      ? 'arm'
      : 'x86'
  const renderer =
    raw.videoCard?.renderer ?? (os === 'ios' || os === 'macos' ? 'Apple GPU' : 'ANGLE (Unknown)')
  const cls = gpuClass(renderer, os)
  let cores = raw.hardwareConcurrency
  const allowed = CORES[cls]
  if (allowed && !allowed.some(([c]) => c === cores)) cores = pickW(rng, allowed)
  let memory = raw.deviceMemory
  const min = MIN_MEMORY[cls]
  if (memory !== null && min && memory < min) memory = min
  if (memory !== null && cls === 'intel-old' && memory > 8) memory = 8
  const s = raw.screen
  const screen: ScreenSpec = {
    width: s.width,
    height: s.height,
    colorDepth: s.colorDepth ?? 24,
    availTop: s.availTop ?? 0,
    availLeft: s.availLeft ?? 0,
    availWidth: s.availWidth ?? s.width,
    availHeight: s.availHeight ?? s.height,
    dpr: s.devicePixelRatio ?? 1,
    hdr: !!s.hasHDR,
  }
  // Geography.
  const country = pickW(
    geoRng,
    COUNTRIES.map((c) => [c, c.weight] as const),
  )
  const zone = pickW(geoRng, country.zones)
  let languages = pickW(geoRng, country.languages)
  if (geoRng() < 0.05) languages = pickW(geoRng, pick(geoRng, COUNTRIES).languages) // expats
  const isps = country.isps.filter((i) => (platform === 'mobile' ? true : !i.mobile))
  const isp = pickW(
    geoRng,
    (isps.length ? isps : country.isps).map((i) => [i, i.weight] as const),
  )
  // Fonts: OS base + Office + optional + what the generator saw (when in our list).
  const fonts = new Set<string>()
  const u = seeds.u
  if (os === 'windows') {
    for (const f of WIN_BASE) fonts.add(f)
    if (u[0]! < 0.45) for (const f of OFFICE) fonts.add(f)
  } else if (os === 'macos') {
    for (const f of MAC_BASE) fonts.add(f)
    if (u[0]! < 0.25) for (const f of OFFICE) fonts.add(f)
  } else if (os === 'ios') for (const f of IOS_BASE) fonts.add(f)
  else if (os === 'android') {
    for (const f of ANDROID_BASE) fonts.add(f)
    if (LANG_CJK.test(languages[0]!)) fonts.add('Noto Sans CJK SC')
  } else {
    for (const f of LINUX_BASE) fonts.add(f)
    if (u[0]! < 0.5) fonts.add('Ubuntu')
    else fonts.add('Cantarell')
    if (LANG_CJK.test(languages[0]!)) fonts.add('Noto Sans CJK SC')
  }
  if (platform === 'desktop') {
    OPTIONAL_FONTS.forEach(([f, p], i) => {
      if (u[1 + i]! < p * 2 * entropy) fonts.add(f)
    })
    for (const f of raw.fonts) if (FONT_SET.has(f)) fonts.add(f)
  } else if (os === 'android' && u[1]! < 0.3 * entropy) {
    fonts.add(pick(rngFor(idx, 'oemfont'), ['Source Code Pro', 'Ubuntu', 'Cantarell', 'DejaVu Sans']))
  }
  const vu = u[30]!
  const renderVariant = vu < entropy * (platform === 'desktop' ? 0.6 : 0.35) ? 1 + Math.floor(u[31]! * 24) : 0
  const laptopish = platform === 'desktop' && (screen.dpr > 1 || os === 'macos' || screen.width <= 1600)
  const monitor =
    laptopish && rng() < cfg.evolution.monitorOwnerShare
      ? pickW(rng, [
          [{ width: 1920, height: 1080, dpr: 1 }, 40],
          [{ width: 2560, height: 1440, dpr: 1 }, 25],
          [{ width: 2560, height: 1440, dpr: 1.5 }, 10],
          [{ width: 3440, height: 1440, dpr: 1 }, 8],
          [{ width: 1920, height: 1200, dpr: 1 }, 10],
          [{ width: 1680, height: 1050, dpr: 1 }, 7],
        ] as const)
      : null
  const md = raw.multimediaDevices ?? {}
  const mediaDevices = {
    audioinput: md.micros?.length ?? 1,
    audiooutput: md.speakers?.length ?? 1,
    videoinput: md.webcams?.length ?? 0,
  }
  return {
    idx,
    id: `d${idx}`,
    person,
    platform,
    os,
    arch,
    gpu: { vendor: raw.videoCard?.vendor ?? (os === 'ios' ? 'Apple Inc.' : 'Unknown'), renderer, cls },
    cores,
    memory,
    screen,
    monitor: monitor ? { ...monitor } : null,
    fonts: sortFonts(fonts),
    country,
    zone,
    languages,
    isp,
    office: null,
    renderVariant,
    cloneGroup: null,
    appleIdx: -1,
    touchPoints: raw.maxTouchPoints,
    media: {
      gamut:
        os === 'macos' || os === 'ios' || (platform === 'mobile' && rng() < 0.5)
          ? 'p3'
          : rng() < 0.15
            ? 'p3'
            : 'srgb',
      mediaDevices,
    },
    diskGiB: pickW(rng, [
      [128, 2],
      [256, 5],
      [512, 5],
      [1024, 3],
      [2048, 1],
    ]),
    browsers: [],
    replaces: null,
  }
}

function appleIndex(cfg: AccuracyConfig, ua: string, os: OsFamily): number {
  if (os !== 'ios' && os !== 'macos') return -1
  const m = /Version\/(\d+)\.(\d+)/.exec(ua)
  const list = cfg.evolution.appleReleases
  if (m) {
    const i = list.findIndex(([v]) => v === `${m[1]}.${m[2]}`)
    return i
  }
  // Chrome/Firefox on an Apple device: assume the latest release before the start.
  const start = Date.parse(cfg.start)
  let i = -1
  list.forEach(([, d], k) => {
    if (Date.parse(d) <= start) i = k
  })
  return i
}

function buildBrowser(
  cfg: AccuracyConfig,
  idx: number,
  device: Device,
  raw: Raw,
  secondary: boolean,
  staticKey: string,
): Browser {
  const rng = rngFor(cfg.seed, 'browser', idx)
  // Settings that enter the fingerprint come from the static stream: clones share them.
  const srng = rngFor(cfg.seed, 'browser-static', staticKey)
  const { family, engine, major } = parseFamily(raw.userAgent)
  const current = currentMajor(cfg, family)
  let languages = device.languages
  if (family === 'firefox' && languages.length > 1 && srng() < 0.5)
    languages = [languages[0]!.split('-')[0]!, ...languages.slice(1)]
  if (family === 'safari') languages = [languages[0]!]
  const plugins = raw.pluginsData?.plugins
    ? {
        names: (raw.pluginsData.plugins as { name: string }[]).map((p) => p.name).sort(),
        mimeTypes: [
          ...new Set(
            (raw.pluginsData.plugins as { mimeTypes: { type: string }[] }[]).flatMap((p) =>
              p.mimeTypes.map((m) => m.type),
            ),
          ),
        ].sort(),
      }
    : null
  return {
    idx,
    id: `b${idx}`,
    device,
    family,
    engine,
    ua: raw.userAgent,
    uaHints: raw.userAgentData,
    major,
    frozen: current > 0 && major < current - 3,
    platformStr: raw.platform,
    vendor: raw.vendor,
    deviceMemory: engine === 'blink' && family !== 'other' ? device.memory : null,
    plugins,
    pdfViewerEnabled: device.platform === 'desktop' ? srng() > 0.03 : raw.pdfViewerEnabled,
    languages,
    randomizer: rng() < cfg.evolution.randomizerShare,
    cookieBlocker: rng() < cfg.evolution.cookieBlockerShare,
    darkMode: rng() < cfg.evolution.darkModeAutoShare ? 'auto' : rng() < 0.3 ? 'dark' : 'light',
    permission: pickW(rng, [
      [{ state: 'prompt', notification: 'default' }, 85],
      [{ state: 'denied', notification: 'denied' }, 10],
      [{ state: 'granted', notification: 'granted' }, 5],
    ] as const),
    secondary,
  }
}

const modal = new Map<string, number>()
/** The newest major at the start of the window, per family (from the release anchors). */
export function currentMajor(cfg: AccuracyConfig, family: Family): number {
  const r = cfg.evolution.releases[family]
  if (!r?.major) return modal.get(family) ?? 0
  return r.major + Math.floor((Date.parse(cfg.start) - Date.parse(r.date)) / (r.cadenceDays * 86_400_000))
}

/** Samples the raw material once; the entropy knobs are applied later (so calibration can re-derive). */
export function sampleRaw(cfg: AccuracyConfig): {
  raws: Raw[]
  platforms: Platform[]
  seconds: (Raw | null)[]
  source: RawSource
} {
  const source = new RawSource(cfg.seed)
  const rng = rngFor(cfg.seed, 'raw')
  const raws: Raw[] = []
  const platforms: Platform[] = []
  const seconds: (Raw | null)[] = []
  for (let i = 0; i < cfg.devices; i++) {
    const platform: Platform = rng() < cfg.mobileShare ? 'mobile' : 'desktop'
    const raw = source.sample(rng, platform)
    raws.push(raw)
    platforms.push(platform)
    let second: Raw | null = null
    if (platform === 'desktop' && rng() < cfg.secondBrowserShare) {
      const os = parseOs(raw.userAgent)
      const fam = parseFamily(raw.userAgent).family
      try {
        second = source.sample(rng, 'desktop', (ua) => parseOs(ua) === os && parseFamily(ua).family !== fam)
      } catch {
        second = null // no other browser family on this OS in the data
      }
    }
    seconds.push(second)
  }
  // Families without a configured anchor (Opera, Samsung): the most common major is the current one.
  const counts = new Map<string, Map<number, number>>()
  for (const r of raws) {
    const { family, major } = parseFamily(r.userAgent)
    const m = counts.get(family) ?? new Map<number, number>()
    m.set(major, (m.get(major) ?? 0) + 1)
    counts.set(family, m)
  }
  for (const [family, m] of counts) modal.set(family, [...m].sort((a, b) => b[1] - a[1])[0]![0])
  return { raws, platforms, seconds, source }
}

/** Builds devices and browsers for given entropy knobs; clone groups copy a template device. */
export function buildPopulation(
  cfg: AccuracyConfig,
  sampled: ReturnType<typeof sampleRaw>,
  popular: { desktop: number; mobile: number },
): Population {
  const entropy = { desktop: cfg.calibration.desktopEntropy, mobile: cfg.calibration.mobileEntropy }
  const devices: Device[] = []
  const browsers: Browser[] = []
  const n = sampled.raws.length
  // Clone groups: decide which device indices copy which template.
  const cloneOf = new Int32Array(n).fill(-1)
  const groupOf: (string | null)[] = new Array(n).fill(null)
  const crng = rngFor(cfg.seed, 'clones')
  for (const platform of ['desktop', 'mobile'] as Platform[]) {
    const idxs = [...Array(n).keys()].filter((i) => sampled.platforms[i] === platform)
    const share = platform === 'desktop' ? cfg.clones.desktopShare : cfg.clones.mobileShare
    const largest = Math.max(
      2,
      Math.round(
        idxs.length * (platform === 'desktop' ? cfg.clones.largestDesktop : cfg.clones.largestMobile),
      ),
    )
    let budget = Math.round(idxs.length * share)
    let pos = 0
    let g = 0
    while (budget >= 2 && pos < idxs.length - 1) {
      const size = Math.min(
        budget,
        g === 0 ? largest : paretoInt(crng, 2, cfg.clones.alpha, largest),
        idxs.length - pos,
      )
      if (size < 2) break
      // Spread groups over the population: take `size` indices at a random stride from pos.
      const template = idxs[pos]!
      const name = `${platform[0]}clone${g}`
      groupOf[template] = name
      for (let k = 1; k < size; k++) {
        cloneOf[idxs[pos + k]!] = template
        groupOf[idxs[pos + k]!] = name
      }
      pos += size + Math.floor(crng() * 20)
      budget -= size
      g++
    }
  }
  // Popular configurations: a share of the other devices copy one of a pool of configurations (a best-selling
  // model bought and left at defaults in one region). Not clones by construction: natural collisions.
  const popularOf = new Int32Array(n).fill(-1)
  for (const platform of ['desktop', 'mobile'] as Platform[]) {
    const idxs = [...Array(n).keys()].filter((i) => sampled.platforms[i] === platform && groupOf[i] === null)
    const poolSize =
      platform === 'desktop'
        ? Math.max(1, Math.round(idxs.length * cfg.calibration.desktopPoolShare))
        : Math.min(idxs.length, cfg.calibration.mobilePoolSize)
    const pool = idxs.slice(0, poolSize)
    const weights = pool.map((_, r) => (platform === 'desktop' ? 1 : (r + 1) ** -cfg.calibration.mobileZipf))
    const cum: number[] = []
    for (const w of weights) cum.push((cum[cum.length - 1] ?? 0) + w)
    const share = platform === 'desktop' ? popular.desktop : popular.mobile
    for (const i of idxs.slice(poolSize)) {
      if (hashUnit(cfg.seed, 'popular?', i) >= share) continue
      const r = hashUnit(cfg.seed, 'popular', i) * cum[cum.length - 1]!
      popularOf[i] =
        pool[
          Math.max(
            0,
            cum.findIndex((c) => c > r),
          )
        ]!
    }
  }
  let bIdx = 0
  for (let i = 0; i < n; i++) {
    const platform = sampled.platforms[i]!
    const template = cloneOf[i]! >= 0 ? cloneOf[i]! : popularOf[i]! >= 0 ? popularOf[i]! : i
    const ur = rngFor(cfg.seed, 'u', template)
    const u = Array.from({ length: 32 }, () => ur())
    const raw = sampled.raws[template]!
    const geoRng = rngFor(cfg.seed, 'geo', template)
    const e = platform === 'desktop' ? entropy.desktop : entropy.mobile
    const d = buildDevice(cfg, i, i, platform, { raw, u }, e, geoRng)
    d.cloneGroup = groupOf[i] ?? null
    d.appleIdx = appleIndex(cfg, raw.userAgent, d.os)
    if (d.cloneGroup && platform === 'desktop') {
      const orng = rngFor(cfg.seed, 'office', d.cloneGroup)
      const ent = pick(orng, ENTERPRISE_ASNS)
      d.office = {
        asn: ent.asn,
        ip: `${20 + Math.floor(orng() * 180)}.${Math.floor(orng() * 256)}.${Math.floor(orng() * 256)}.${1 + Math.floor(orng() * 250)}`,
        country: d.country.code,
      }
    }
    if (d.cloneGroup && platform === 'mobile') {
      const irng = rngFor(cfg.seed, 'carrier', i)
      d.isp = pickW(
        irng,
        d.country.isps.map((x) => [x, x.weight] as const),
      )
    }
    devices.push(d)
    const b = buildBrowser(cfg, bIdx++, d, raw, false, `t${template}`)
    d.browsers.push(b)
    browsers.push(b)
    const second = d.cloneGroup ? null : secondBrowser(cfg, sampled, i, raw)
    if (second) {
      const b2 = buildBrowser(cfg, bIdx++, d, second, true, `s${i}`)
      d.browsers.push(b2)
      browsers.push(b2)
    }
  }
  return { devices, browsers, entropy, popular }
}

const secondCache = new Map<string, Raw | null>()
/**
 * The second browser of device `i`, whose first browser is `raw`: on the same OS, of another family.
 * It was sampled against the device's own draw; a device that copies a popular configuration has
 * another first browser, so the draw is redone (deterministically) when it no longer fits.
 */
function secondBrowser(
  cfg: AccuracyConfig,
  sampled: ReturnType<typeof sampleRaw>,
  i: number,
  raw: Raw,
): Raw | null {
  const drawn = sampled.seconds[i]
  if (!drawn) return null
  const os = parseOs(raw.userAgent)
  const family = parseFamily(raw.userAgent).family
  const fits = (ua: string) => parseOs(ua) === os && parseFamily(ua).family !== family
  if (fits(drawn.userAgent)) return drawn
  const key = `${cfg.seed}:${i}:${raw.userAgent}`
  if (!secondCache.has(key)) {
    let again: Raw | null = null
    try {
      again = sampled.source.sample(rngFor(cfg.seed, 'second', i), 'desktop', fits)
    } catch {
      // no other browser family on this OS in the data
    }
    secondCache.set(key, again)
  }
  return secondCache.get(key)!
}

/** A new device for a person replacing theirs: same geography and network, new hardware. */
export function replacementDevice(
  cfg: AccuracyConfig,
  source: RawSource,
  old: Device,
  idx: number,
  firstBrowserIdx: number,
  entropy: { desktop: number; mobile: number },
): Device {
  const rng = rngFor(cfg.seed, 'replacement', old.idx)
  const raw = source.sample(rng, old.platform, (ua) => parseOs(ua) === old.os || rng() < 0.15)
  const ur = rngFor(cfg.seed, 'u-repl', old.idx)
  const u = Array.from({ length: 32 }, () => ur())
  const d = buildDevice(
    cfg,
    idx,
    old.person,
    old.platform,
    { raw, u },
    old.platform === 'desktop' ? entropy.desktop : entropy.mobile,
    rngFor(cfg.seed, 'geo', old.idx),
  )
  d.country = old.country
  d.zone = old.zone
  d.languages = old.languages
  d.isp = old.isp
  d.replaces = old
  d.appleIdx = appleIndex(cfg, raw.userAgent, d.os)
  const b = buildBrowser(cfg, firstBrowserIdx, d, raw, false, `r${idx}`)
  d.browsers.push(b)
  return d
}

// ---------------------------------------------------------------- render hashes

/** Count of "render changes" up to `major`: each major changes a rendering with probability p. */
const epochCache = new Map<string, number>()
export function epoch(kind: string, engine: string, key: string, major: number, p: number): number {
  const k = `${kind}|${engine}|${key}|${major}`
  const c = epochCache.get(k)
  if (c !== undefined) return c
  let n = 0
  for (let m = Math.max(0, major - 40); m <= major; m++) if (hashUnit(kind, engine, key, m) < p) n++
  epochCache.set(k, n)
  return n
}

export { hash, intlFor }
