// Evolution: time-ordered visits over the window, with the changes real browsers go through.
import type { AccuracyConfig } from './config.js'
import { COUNTRIES, type Country, type Isp, intlFor, ipFor, tzOffset } from './geo.js'
import {
  type Browser,
  currentMajor,
  type Device,
  epoch,
  hash,
  OPTIONAL_FONTS,
  type Population,
  type RawSource,
  replacementDevice,
  sortFonts,
} from './population.js'
import { DAY, expo, hashUnit, logNormal, pick, pickW, poissonTimes, type Rng, rngFor } from './rng.js'
import type { Components, EventType, SimVisit } from './types.js'

interface Trip {
  from: number
  to: number
  country: Country
  zone: string
  isp: Isp
  roaming: boolean
  language: string | null
}

interface DeviceLife {
  driverUpdates: number[]
  fontInstalls: [number, string][]
  osLagDays: number
  osNever: boolean
  trips: Trip[]
  ipPeriodDays: number
  ipPhase: number
  autoTz: boolean
  mobileIpEpoch: number
}

interface BrowserLife {
  lagDays: number
  clears: number[]
  incognitoUser: boolean
  /** State of the previous visit, for events. */
  prev: Snapshot | null
  lastNormalT: number
  replacementFirst: boolean
  uaCache: { key: string; ua: string; hints: any } | null
  /** Unchanged component values are the same objects from one visit to the next. */
  values: Map<string, { key: string; value: unknown }>
  visitNo: number
}

interface Snapshot {
  t: number
  major: number
  appleIdx: number
  winStep: number
  androidStep: number
  driverStep: number
  fontCount: number
  zone: string
  country: string
  offset: number
  zoom: number
  docked: boolean
  languages: string[]
}

export interface Simulation {
  browsers: Browser[]
  devices: Device[]
  /** Visit order: browser index and time, sorted by time. */
  visitBrowser: Int32Array
  visitTime: Float64Array
  /** Materialises visit k (must be called in order: browser state moves forward). */
  visit(k: number): SimVisit
}

const BLINK_FAMILIES = new Set(['chrome', 'edge', 'opera', 'samsung'])

/** `firstVisitsOnly`: one visit per starting browser, no device replacement (for calibration). */
export function simulate(
  cfg: AccuracyConfig,
  pop: Population,
  source: RawSource,
  firstVisitsOnly = false,
): Simulation {
  const ev = cfg.evolution
  const start = Date.parse(cfg.start)
  const end = start + cfg.days * DAY
  const devices = [...pop.devices]
  const browsers = [...pop.browsers]
  const dlife = new Map<Device, DeviceLife>()
  const blife: BrowserLife[] = []
  const windows: [number, number][] = []

  // Device replacement: the person's browsers stop, a new device starts.
  const baseDevices = devices.length
  for (let i = 0; i < baseDevices; i++) {
    const d = devices[i]!
    const rng = rngFor(cfg.seed, 'replace?', i)
    if (firstVisitsOnly || rng() >= ev.deviceReplacementShare) continue
    const at = start + (10 + rng() * (cfg.days - 20)) * DAY
    const nd = replacementDevice(cfg, source, d, devices.length, browsers.length, pop.entropy)
    nd.browsers[0]!.idx = browsers.length
    nd.browsers[0]!.id = `b${browsers.length}`
    nd.cloneGroup = null
    devices.push(nd)
    browsers.push(nd.browsers[0]!)
    ;(nd as Device & { bornAt?: number }).bornAt = at + rng() * 3 * DAY
    ;(d as Device & { diesAt?: number }).diesAt = at
  }

  for (const d of devices) {
    const rng = rngFor(cfg.seed, 'dlife', d.idx)
    const desktopGpu = d.platform === 'desktop' && d.os !== 'macos'
    const driverUpdates = desktopGpu ? poissonTimes(rng, ev.gpuDriverUpdatesPerYear / 365, start, end) : []
    const fontInstalls: [number, string][] = []
    if (d.platform === 'desktop')
      for (const t of poissonTimes(rng, ev.fontInstallsPerDevice / cfg.days, start, end)) {
        const f = pick(
          rng,
          OPTIONAL_FONTS.map(([f]) => f),
        )
        if (!d.fonts.includes(f)) fontInstalls.push([t, f])
      }
    const trips: Trip[] = []
    if (rng() < ev.travellerShare) {
      const n = Math.max(1, Math.round(expo(rng, ev.tripsPerTraveller)))
      for (let k = 0; k < n; k++) {
        const from = start + rng() * cfg.days * DAY
        const to = from + (1 + expo(rng, ev.tripDaysMean)) * DAY
        const domestic = rng() < 0.4 && d.country.zones.length > 1
        const country = domestic
          ? d.country
          : pickW(
              rng,
              COUNTRIES.filter((c) => c !== d.country).map((c) => [c, c.weight] as const),
            )
        const zone = pickW(rng, domestic ? d.country.zones.filter(([z]) => z !== d.zone) : country.zones)
        const isp = pickW(
          rng,
          country.isps.map((x) => [x, x.weight] as const),
        )
        const roaming = d.platform === 'mobile' && !domestic && rng() < 0.5
        const language =
          !domestic && rng() < ev.travelLanguageChange ? pickW(rng, country.languages)[0]! : null
        trips.push({ from, to, country, zone, isp, roaming, language })
      }
    }
    dlife.set(d, {
      driverUpdates,
      fontInstalls: fontInstalls.sort((a, b) => a[0] - b[0]),
      osLagDays: expo(rng, ev.osUpdateLagMeanDays),
      osNever: rng() < ev.osNeverUpdateShare,
      trips,
      ipPeriodDays: ev.homeIpChangeMeanDays * (0.3 + 1.4 * rng()),
      ipPhase: rng(),
      autoTz: d.platform === 'mobile' || rng() < ev.desktopAutoTimezone,
      mobileIpEpoch: 0,
    })
  }

  // Visit times per browser.
  const vb: number[] = []
  const vt: number[] = []
  for (const b of browsers) {
    const rng = rngFor(cfg.seed, 'visits', b.idx)
    const d = b.device as Device & { bornAt?: number; diesAt?: number }
    let a = d.bornAt ?? (rng() < cfg.visits.lateArrivalShare ? start + rng() * cfg.days * DAY : start)
    let z = rng() < cfg.visits.churnShare ? a + rng() * (end - a) : end
    if (d.diesAt !== undefined) z = Math.min(z, d.diesAt)
    if (z <= a) z = a + DAY
    a = Math.min(a, end - DAY)
    windows.push([a, z])
    const lagDays = logNormal(rng, ev.rolloutLagMedianDays, ev.rolloutLagSigma)
    const incognitoUser = rng() < ev.incognitoUserShare
    const crng = rngFor(cfg.seed, 'clears', b.idx)
    const rate = logNormal(rng, cfg.visits.medianPerDay, cfg.visits.sigma)
    const first = a + rng() * Math.min(DAY, z - a)
    const times = firstVisitsOnly
      ? [first]
      : [first, ...poissonTimes(rng, rate, first, Math.min(z, end))].slice(0, cfg.visits.maxVisits)
    blife.push({
      lagDays,
      clears: crng() < ev.storageClearerShare ? poissonTimes(crng, 1 / ev.clearIntervalMeanDays, a, end) : [],
      incognitoUser,
      prev: null,
      lastNormalT: -1,
      replacementFirst: d.replaces !== null,
      uaCache: null,
      values: new Map(),
      visitNo: 0,
    })
    for (const t of times) {
      vb.push(b.idx)
      vt.push(t)
    }
  }
  const order = [...vt.keys()].sort((x, y) => vt[x]! - vt[y]! || vb[x]! - vb[y]!)
  const visitBrowser = Int32Array.from(order, (k) => vb[k]!)
  const visitTime = Float64Array.from(order, (k) => vt[k]!)

  // Release schedules.
  const releaseDate = (family: string, major: number): number => {
    const r = ev.releases[family]
    if (!r) return Number.POSITIVE_INFINITY
    const anchorMajor = r.major || currentMajor(cfg, family as Browser['family'])
    return Date.parse(r.date) + (major - anchorMajor) * r.cadenceDays * DAY
  }
  const apple = ev.appleReleases.map(([v, d]) => ({ v, t: Date.parse(d), major: v.endsWith('.0') }))
  const winUpdate = Date.parse(ev.windowsFeatureUpdate)
  const androidUpdate = Date.parse(ev.androidMajor)

  const majorAt = (b: Browser, life: BrowserLife, t: number): number => {
    if (b.frozen || b.family === 'safari' || b.family === 'other') return b.major
    let m = b.major
    while (releaseDate(b.family, m + 1) + life.lagDays * DAY <= t) m++
    return m
  }
  const appleAt = (d: Device, life: DeviceLife, t: number): number => {
    if (d.appleIdx < 0 || life.osNever) return d.appleIdx
    let i = d.appleIdx
    while (i + 1 < apple.length && apple[i + 1]!.t + life.osLagDays * DAY <= t) i++
    return i
  }
  const tripAt = (life: DeviceLife, t: number): Trip | null => {
    for (const tr of life.trips) if (t >= tr.from && t < tr.to) return tr
    return null
  }

  const intlCache = new Map<string, unknown>()
  const intlFormatCache = new Map<string, unknown>()
  const mathBase = mathValues()

  function visit(k: number): SimVisit {
    const b = browsers[visitBrowser[k]!]!
    const t = visitTime[k]!
    const d = b.device
    const life = blife[b.idx]!
    const dl = dlife.get(d)!
    const vr = rngFor(cfg.seed, 'visit', b.idx, life.visitNo)
    const first = life.prev === null
    const trip = tripAt(dl, t)
    const incognito = !first && life.incognitoUser && vr() < ev.incognitoVisitShare
    const major = majorAt(b, life, t)
    const appleIdx = appleAt(d, dl, t)
    const winStep = d.os === 'windows' && !dl.osNever && t >= winUpdate + dl.osLagDays * 4 * DAY ? 1 : 0
    const androidStep =
      d.os === 'android' && hashUnit('android-update', d.idx) < 0.3 && t >= androidUpdate + dl.osLagDays * DAY
        ? 1
        : 0
    let driverStep = 0
    while (driverStep < dl.driverUpdates.length && dl.driverUpdates[driverStep]! <= t) driverStep++
    let fontCount = 0
    while (fontCount < dl.fontInstalls.length && dl.fontInstalls[fontCount]![0] <= t) fontCount++
    const zone = trip && dl.autoTz ? trip.zone : d.zone
    const offset = tzOffset(zone, t)
    const zoom = vr() < ev.zoomVisitShare ? pick(vr, [0.8, 0.9, 1.1, 1.25, 1.5]) : 1
    const docked = d.monitor !== null && vr() < ev.dockedVisitShare
    const languages = trip?.language
      ? [trip.language, ...b.languages.filter((l) => l !== trip.language)]
      : b.languages
    const snap: Snapshot = {
      t,
      major,
      appleIdx,
      winStep,
      androidStep,
      driverStep,
      fontCount,
      zone,
      country: trip ? trip.country.code : d.country.code,
      offset,
      zoom,
      docked,
      languages,
    }
    // Events since this browser's previous visit.
    const events: EventType[] = []
    const p = life.prev
    if (first) {
      events.push('first')
      if (life.replacementFirst) events.push('deviceReplacement')
    } else if (p) {
      if (p.major !== major || (b.family === 'safari' && p.appleIdx !== appleIdx))
        events.push('browserUpdate')
      if (p.appleIdx !== appleIdx || p.winStep !== winStep || p.androidStep !== androidStep)
        events.push('osUpdate')
      if (p.zone === zone && p.offset !== offset) events.push('dst')
      if (p.zone !== zone || p.country !== snap.country) events.push('travel')
      if (p.zoom !== zoom) events.push('zoom')
      if (p.docked !== docked) events.push('monitor')
      if (p.fontCount !== fontCount) events.push('fontInstall')
      if (p.driverStep !== driverStep) events.push('gpuDriver')
    }
    const cleared =
      !first && (b.cookieBlocker || life.clears.some((c) => c > life.lastNormalT && c <= t)) && !incognito
    if (cleared) events.push('clearStorage')
    if (incognito) events.push('incognito')
    if (b.randomizer && !first) events.push('randomized')
    if (events.length === 0) events.push('revisit')
    life.prev = snap
    if (!incognito) life.lastNormalT = t
    life.visitNo++

    // Network.
    let asn: number
    let ip: string
    let country: string
    if (trip && !trip.roaming) {
      asn = trip.isp.asn
      ip = ipFor(asn, d.idx + Math.floor(trip.from), Math.floor(vr() * 1000))
      country = trip.country.code
    } else if (d.office) {
      asn = d.office.asn
      ip = d.office.ip
      country = d.office.country
    } else if (d.platform === 'mobile') {
      if (vr() < ev.mobileIpChangePerVisit) dl.mobileIpEpoch++
      asn = d.isp.asn
      ip = ipFor(asn, d.idx * 31 + dl.mobileIpEpoch, d.idx + dl.mobileIpEpoch * 7)
      country = trip ? trip.country.code : d.country.code
    } else {
      const ep = Math.floor((t - start) / (dl.ipPeriodDays * DAY) + dl.ipPhase)
      asn = d.isp.asn
      ip = ipFor(asn, d.idx * 13 + ep, d.idx * 101 + ep)
      country = d.country.code
    }

    const components = buildComponents(b, snap, life, dl, vr, incognito)
    return {
      t,
      components,
      ip,
      asn,
      country,
      events,
      storageKept: !first && !incognito && !cleared,
      truth: { browser: b.id, device: d.id, cloneGroup: d.cloneGroup, platform: d.platform },
    }
  }

  function uaFor(b: Browser, life: BrowserLife, s: Snapshot): { ua: string; hints: any } {
    const key = `${s.major}|${s.appleIdx}|${s.winStep}|${s.androidStep}`
    if (life.uaCache?.key === key) return life.uaCache
    let ua = b.ua
    const m = s.major
    const appleV = s.appleIdx >= 0 ? apple[s.appleIdx]!.v : null
    if (b.family === 'chrome')
      ua = ua.replace(/Chrome\/\d+/, `Chrome/${m}`).replace(/CriOS\/\d+/, `CriOS/${m}`)
    else if (b.family === 'edge')
      ua = ua.replace(/Chrome\/\d+/, `Chrome/${m}`).replace(/Edg(A|iOS)?\/\d+/, `Edg$1/${m}`)
    else if (b.family === 'opera') ua = ua.replace(/OPR\/\d+/, `OPR/${m}`)
    else if (b.family === 'samsung') ua = ua.replace(/SamsungBrowser\/\d+/, `SamsungBrowser/${m}`)
    else if (b.family === 'firefox')
      ua = ua
        .replace(/Firefox\/\d+(\.\d+)?/, `Firefox/${m}.0`)
        .replace(/rv:\d+(\.\d+)?/, `rv:${m}.0`)
        .replace(/Gecko\/\d+\.0/, `Gecko/${m}.0`)
        .replace(/FxiOS\/\d+/, `FxiOS/${m}`)
    if (b.engine === 'webkit' && appleV && /Version\//.test(ua))
      ua = ua.replace(/Version\/[\d.]+/, `Version/${appleV}`)
    let hints = b.uaHints
    if (hints) {
      const build = 7727 + (m - 147) * 53
      const full = `${m}.0.${build}.${50 + Math.floor(hashUnit('patch', m) * 100)}`
      const bump = (v: string) => v.replace(/^\d+/, (x) => String(Number(x) + 1))
      const grease = ['Not.A/Brand', 'Not:A-Brand', 'Not)A;Brand'][m % 3]!
      const fix = (list: { brand: string; version: string }[] | undefined, long: boolean) =>
        list?.map((x) =>
          /Not.A.Brand/.test(x.brand)
            ? { brand: grease, version: long ? `${8 + (m % 3) * 45}.0.0.0` : String(8 + (m % 3) * 45) }
            : BLINK_FAMILIES.has(b.family)
              ? { brand: x.brand, version: long ? full : String(m) }
              : x,
        )
      hints = {
        ...hints,
        brands: fix(hints.brands, false),
        fullVersionList: fix(hints.fullVersionList, true),
        uaFullVersion: full,
        platformVersion:
          (s.winStep || s.androidStep) && hints.platformVersion
            ? bump(hints.platformVersion)
            : appleV && b.device.os === 'macos'
              ? `${appleV}.0`
              : hints.platformVersion,
      }
    }
    life.uaCache = { key, ua, hints }
    return life.uaCache
  }

  function buildComponents(
    b: Browser,
    s: Snapshot,
    life: BrowserLife,
    dl: DeviceLife,
    vr: Rng,
    incognito: boolean,
  ): Components {
    const d = b.device
    const { ua, hints } = uaFor(b, life, s)
    const keep = <T>(name: string, key: string, make: () => T): T => {
      const hit = life.values.get(name)
      if (hit && hit.key === key) return hit.value as T
      const value = make()
      life.values.set(name, { key, value })
      return value
    }
    const gpu = d.gpu!
    const appleV = s.appleIdx >= 0 ? apple[s.appleIdx]! : null
    // OS rendering epoch: emoji/font updates that come with OS releases.
    const osEpoch = keep('osEpoch', `${s.appleIdx}|${s.androidStep}`, () => {
      let n = 0
      if (appleV)
        for (let i = 0; i <= s.appleIdx; i++)
          if (
            hashUnit('oscanvas', d.os, apple[i]!.v) <
            (apple[i]!.major ? ev.osCanvasChangeMajor : ev.osCanvasChangeMinor)
          )
            n++
      if (s.androidStep && hashUnit('oscanvas', 'android', 17) < ev.osCanvasChangeMajor) n++
      return n
    })
    const [driverCanvas, driverRenderer] = keep('driver', String(s.driverStep), () => {
      let canvas = 0
      let renderer = 0
      for (let i = 0; i < s.driverStep; i++) {
        if (hashUnit('drvcanvas', d.idx, i) < ev.driverCanvasChange) canvas++
        if (hashUnit('drvrenderer', d.idx, i) < ev.driverRendererChange) renderer++
      }
      return [canvas, renderer] as const
    })
    const engineKey = `${b.engine}|${b.family === 'safari' ? 'os' : ''}`
    const canvasEpoch =
      b.family === 'safari' ? 0 : epoch('canvas', engineKey, gpu.cls, s.major, ev.canvasChangePerMajor)
    const audioEpoch =
      b.family === 'safari' ? 0 : epoch('audio', b.engine, d.os, s.major, ev.audioChangePerMajor)
    const mathEpoch =
      b.family === 'safari' ? 0 : epoch('math', b.engine, d.os, s.major, ev.mathChangePerMajor)
    const extEpoch = epoch('ext', b.engine, gpu.cls, s.major, ev.extensionChangePerMajor)
    const fonts =
      b.family === 'safari' || d.os === 'ios'
        ? d.fonts
        : s.fontCount
          ? sortFonts([...d.fonts, ...dl.fontInstalls.slice(0, s.fontCount).map(([, f]) => f)])
          : d.fonts
    const emoji = fonts.filter((f) => f === 'Noto Color Emoji' || f === 'Arial Unicode MS').join(',')
    const renderer = driverRenderer
      ? /D3D11\)$/.test(gpu.renderer)
        ? gpu.renderer.replace(/D3D11\)$/, `D3D11-31.0.${101 + driverRenderer}.${5000 + (d.idx % 900)})`)
        : `${gpu.renderer} (driver ${driverRenderer})`
      : gpu.renderer
    const noisy = b.randomizer || (incognito && b.engine === 'gecko')
    let canvas: unknown
    if (incognito && b.family === 'safari') canvas = { text: 'unstable', geometry: 'unstable', stable: false }
    else if (noisy) canvas = { text: hash(`noise${vr()}`), geometry: hash(`noise${vr()}`), stable: true }
    else {
      const base = `${b.engine}|${canvasEpoch}|${d.os}|${osEpoch}|${gpu.renderer}|${driverCanvas}|${d.renderVariant}`
      canvas = keep('canvas', `${base}|${emoji}`, () => ({
        text: hash(`text|${base}|${emoji}`),
        geometry: hash(`geometry|${base}`),
        stable: true,
      }))
    }
    const audioBase = 30 + 100 * hashUnit('audio', b.engine, d.os, d.arch, audioEpoch)
    const audio =
      incognito && b.family === 'safari'
        ? 'unstable'
        : b.randomizer
          ? audioBase + vr() * 1e-7
          : Number(audioBase.toFixed(14))
    const math = keep('math', String(mathEpoch), () => mathFor(b.engine, d.os, d.arch, mathEpoch))
    function mathFor(engine: string, os: string, arch: string, mathEpoch: number) {
      const math: Record<string, number> = {}
      for (const [fn, v] of Object.entries(mathBase))
        math[fn] =
          engine !== 'blink' && hashUnit('math', engine, os, arch, mathEpoch, fn) < 0.2
            ? v * (1 + Number.EPSILON)
            : mathEpoch && hashUnit('math2', engine, mathEpoch, fn) < 0.1
              ? v * (1 - Number.EPSILON)
              : v
      return math
    }
    // Screen, viewport.
    const sc = d.screen
    let width = sc.width
    let height = sc.height
    let dpr = sc.dpr
    let frame = {
      top: sc.availTop,
      left: sc.availLeft,
      right: sc.width - sc.availWidth - sc.availLeft,
      bottom: sc.height - sc.availHeight - sc.availTop,
    }
    if (s.docked && d.monitor) {
      width = d.monitor.width
      height = d.monitor.height
      dpr = d.monitor.dpr
      frame =
        d.os === 'macos'
          ? { top: 25, left: 0, right: 0, bottom: 0 }
          : { top: 0, left: 0, right: 0, bottom: 48 }
    }
    if (b.engine === 'gecko' && s.zoom !== 1) {
      width = Math.round(width / s.zoom)
      height = Math.round(height / s.zoom)
    }
    let sw = width
    let sh = height
    if (d.platform === 'mobile' && vr() < 0.1) [sw, sh] = [sh, sw]
    const availW = sw - frame.left - frame.right
    const availH = sh - frame.top - frame.bottom
    const outerW =
      d.platform === 'mobile'
        ? sw
        : vr() < 0.7
          ? availW
          : Math.round(availW * (0.5 + 0.4 * hashUnit('win', b.idx)))
    const outerH =
      d.platform === 'mobile'
        ? sh
        : vr() < 0.7
          ? availH
          : Math.round(availH * (0.6 + 0.35 * hashUnit('winh', b.idx)))
    const bar = d.platform === 'mobile' ? 140 : b.engine === 'gecko' ? 80 : 88
    const dstr = s.zone
    const lang0 = s.languages[0]!
    const ik = `${lang0}|${dstr}`
    let intl = intlCache.get(ik)
    if (!intl) {
      intl = intlFor(lang0, dstr)
      intlCache.set(ik, intl)
    }
    let intlFormat = intlFormatCache.get(ik)
    if (!intlFormat) {
      intlFormat = formatFor(lang0, dstr)
      intlFormatCache.set(ik, intlFormat)
    }
    const localHour = new Date(s.t - s.offset * 60_000).getUTCHours()
    const dark = b.darkMode === 'dark' || (b.darkMode === 'auto' && (localHour >= 19 || localHour < 7))
    const chromium = b.engine === 'blink'
    const memGiB = d.memory ?? 8
    const quota = incognito
      ? chromium
        ? Math.round(memGiB * 107374182.4)
        : b.engine === 'gecko'
          ? 10737418240
          : 1073741824
      : Math.round(
          d.diskGiB *
            1073741824 *
            0.6 *
            (0.5 - 0.1 * ((s.t - start) / (cfg.days * DAY))) *
            (1 + 0.001 * vr()),
        )
    const speechVoices =
      d.os === 'windows'
        ? { count: chromium ? 22 : 3, local: 3 }
        : d.os === 'macos'
          ? { count: chromium ? 196 : 177, local: 177 }
          : d.os === 'ios'
            ? { count: 67, local: 67 }
            : d.os === 'android'
              ? { count: 34, local: 0 }
              : { count: 0, local: 0 }
    const dur = () => Math.floor(vr() * 4)
    const c = (value: unknown, duration = dur()) => ({ value, duration })
    const webgl =
      b.family === 'safari' || (d.os === 'ios' && b.engine === 'webkit')
        ? {
            version: 'WebGL 1.0',
            vendor: 'WebKit',
            renderer: 'WebKit WebGL',
            unmaskedVendor: 'Apple Inc.',
            unmaskedRenderer: 'Apple GPU',
          }
        : b.engine === 'gecko'
          ? {
              version: 'WebGL 1.0',
              vendor: 'Mozilla',
              renderer: 'Mozilla',
              unmaskedVendor: gpu.vendor,
              unmaskedRenderer: renderer,
            }
          : {
              version: 'WebGL 1.0 (OpenGL ES 2.0 Chromium)',
              vendor: 'WebKit',
              renderer: 'WebKit WebGL',
              unmaskedVendor: gpu.vendor,
              unmaskedRenderer: renderer,
            }
    const mobileGpu = gpu.cls === 'mali' || gpu.cls === 'adreno' || gpu.cls === 'mobile-other'
    const prec = mobileGpu
      ? '127,127,23;15,15,10;15,15,10;31,30,0;15,14,0;15,14,0'
      : '127,127,23;127,127,23;127,127,23;31,30,0;31,30,0;31,30,0'
    return {
      audio: c(audio, 20 + dur()),
      uaHints: c(hints ?? null, 15),
      incognito: c({
        quota,
        jsHeapSizeLimit: chromium ? (d.platform === 'mobile' ? 1130758144 : 4294705152) : null,
      }),
      permissions: c(b.permission),
      speechVoices: c(speechVoices),
      mediaDevices: c(d.media.mediaDevices),
      userAgent: c(ua),
      webdriver: c({ value: false, native: true }),
      timezone: c(keep('timezone', `${s.zone}|${s.offset}`, () => ({ name: s.zone, offset: s.offset }))),
      languages: c(s.languages),
      screen: c({ width: sw, height: sh, colorDepth: sc.colorDepth }),
      screenSize: c(
        keep('screenSize', `${sw}|${sh}`, () => ({
          long: Math.max(sw, sh),
          short: Math.min(sw, sh),
          colorDepth: sc.colorDepth,
        })),
      ),
      screenFrame: c(frame),
      viewport: c({
        innerWidth: Math.round(outerW / s.zoom),
        innerHeight: Math.round((outerH - bar) / s.zoom),
        outerWidth: outerW,
        outerHeight: outerH,
        devicePixelRatio: Math.round(dpr * s.zoom * 100) / 100,
      }),
      hardwareConcurrency: c(b.engine === 'webkit' ? Math.min(d.cores, 8) : d.cores),
      deviceMemory: c(b.deviceMemory),
      platform: c(b.platformStr),
      vendor: c(b.vendor),
      plugins: c(b.plugins),
      pdfViewerEnabled: c(b.pdfViewerEnabled),
      touchSupport: c(
        keep('touch', '', () => ({
          maxTouchPoints: d.touchPoints,
          touchEvent: d.touchPoints > 0,
          touchStart: d.touchPoints > 0,
        })),
      ),
      storage: c(
        keep('storage', '', () => ({
          cookies: !b.cookieBlocker,
          localStorage: !b.cookieBlocker,
          sessionStorage: true,
          indexedDB: !b.cookieBlocker,
        })),
      ),
      math: c(math),
      media: c({
        colorGamut: s.docked ? 'srgb' : d.media.gamut,
        hdr: !s.docked && sc.hdr,
        contrast: 'no-preference',
        reducedMotion: hashUnit('rm', b.idx) < 0.03,
        reducedTransparency: false,
        forcedColors: false,
        invertedColors: b.engine === 'webkit' ? 'none' : null,
        colorScheme: dark ? 'dark' : 'light',
        monochrome: 0,
      }),
      intl: c(intl),
      intlFormat: c(intlFormat),
      chrome: c(
        chromium
          ? {
              keys:
                d.platform === 'mobile'
                  ? ['app', 'csi', 'loadTimes']
                  : ['app', 'csi', 'loadTimes', 'runtime'],
            }
          : null,
      ),
      errorStack: c(
        chromium
          ? { format: 'at', header: true, frames: ['at errorStack (URL)', 'at collect (URL)', 'at URL'] }
          : { format: '@', header: false, frames: ['errorStack@URL', 'collect@URL', '@URL'] },
      ),
      canvas: c(canvas, 8 + dur()),
      webgl: c(
        keep('webgl', renderer, () => ({ ...webgl, precision: `${prec};${prec}` })),
        2,
      ),
      webglParams: c(
        keep('webglParams', `${s.driverStep}|${extEpoch}`, () => ({
          params: hash(`params|${gpu.renderer}|${b.engine}|${s.driverStep}`),
          extensions: hash(`ext|${b.engine}|${extEpoch}|${gpu.cls}|${s.driverStep}`),
          extensionCount: 28 + (extEpoch % 8) + (gpu.cls.length % 5),
        })),
      ),
      fonts: c(fonts, 9 + dur()),
    }
  }

  return { browsers, devices, visitBrowser, visitTime, visit }
}

function mathValues(): Record<string, number> {
  const M = Math as unknown as Record<string, (x: number, y?: number) => number>
  const cases: [string, number, number?][] = [
    ['acos', 0.12312423423423424],
    ['acosh', 1e308],
    ['asin', 0.12312423423423424],
    ['asinh', 1],
    ['atan', 0.5],
    ['atanh', 0.5],
    ['cbrt', 100],
    ['cos', 10.000000000123],
    ['cosh', 1],
    ['exp', 1],
    ['expm1', 1],
    ['log1p', 10],
    ['sin', -1e300],
    ['sinh', 1],
    ['tan', -1e300],
    ['tanh', 1],
    ['pow', Math.PI, -100],
  ]
  const out: Record<string, number> = {}
  for (const [fn, x, y] of cases) out[fn] = M[fn]!(x, y)
  return out
}

function formatFor(locale: string, timeZone: string) {
  const d = new Date(Date.UTC(2020, 0, 31, 15, 4, 5))
  try {
    return {
      date: d.toLocaleString(locale, { timeZone }),
      dateUTC: d.toLocaleString(locale, { timeZone: 'UTC', dateStyle: 'full', timeStyle: 'long' }),
      number: (1234567.891).toLocaleString(locale),
      list: new Intl.ListFormat(locale).format(['a', 'b', 'c']),
    }
  } catch {
    return null
  }
}

export { intlFor }
