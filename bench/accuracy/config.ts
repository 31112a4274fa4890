import { readFileSync } from 'node:fs'

/** Population and evolution parameters (defaults in default-config.json; see docs/accuracy.md). */
export interface AccuracyConfig {
  seed: number
  devices: number
  /** Share of devices that are phones/tablets. */
  mobileShare: number
  /** Simulation window: first day (UTC, ISO date) and length. */
  start: string
  days: number
  /** Desktop devices whose owner also uses a second browser (a separate visitor). */
  secondBrowserShare: number
  calibration: {
    enabled: boolean
    /** Targets: share of exact fingerprints that are unique (Gómez-Boix et al., WWW 2018). */
    desktopUnique: number
    mobileUnique: number
    /** Bisection rounds, and the half-width of the bracket around the starting knob values. */
    rounds: number
    bracket: number
    /** Diversity of optional fonts and hidden render variants (0–1), fixed. */
    desktopEntropy: number
    mobileEntropy: number
    /**
     * Share of devices that are a popular configuration (same model, default settings, same region as other
     * owners of it): the knob calibration moves. Used as is when calibration is off.
     */
    desktopPopular: number
    mobilePopular: number
    /** Popular configurations per platform (desktop: share of desktop devices; mobile: count, Zipf-weighted). */
    desktopPoolShare: number
    mobilePoolSize: number
    mobileZipf: number
  }
  clones: {
    /** Share of devices that belong to a clone group (identical by construction). */
    desktopShare: number
    mobileShare: number
    /** Pareto tail of group sizes. */
    alpha: number
    /** Size of the largest group, as a share of the platform's devices. */
    largestDesktop: number
    largestMobile: number
  }
  visits: {
    /** Visit rate per browser, log-normal: median visits per day and sigma. */
    medianPerDay: number
    sigma: number
    maxVisits: number
    /** Share of browsers first seen after the start (uniformly over the window). */
    lateArrivalShare: number
    /** Share of browsers that stop visiting before the end. */
    churnShare: number
  }
  evolution: {
    /** Browser update rollout lag per browser: log-normal median (days) and sigma. */
    rolloutLagMedianDays: number
    rolloutLagSigma: number
    /** Release schedule anchors: a major and its stable date, and the cadence. */
    releases: Record<string, { major: number; date: string; cadenceDays: number }>
    /** Apple OS (and Safari) releases: version and date. */
    appleReleases: [string, string][]
    /** Windows feature update and Android major release dates. */
    windowsFeatureUpdate: string
    androidMajor: string
    osUpdateLagMeanDays: number
    osNeverUpdateShare: number
    /** Probability that a browser major changes these renderings (per engine, major and GPU class). */
    canvasChangePerMajor: number
    audioChangePerMajor: number
    mathChangePerMajor: number
    extensionChangePerMajor: number
    /** Probability that a major OS update changes the text canvas (emoji font) / a minor one. */
    osCanvasChangeMajor: number
    osCanvasChangeMinor: number
    travellerShare: number
    tripsPerTraveller: number
    tripDaysMean: number
    travelLanguageChange: number
    /** Desktops that follow the local time zone when travelling (laptops with automatic time zone). */
    desktopAutoTimezone: number
    zoomVisitShare: number
    monitorOwnerShare: number
    dockedVisitShare: number
    fontInstallsPerDevice: number
    gpuDriverUpdatesPerYear: number
    driverRendererChange: number
    driverCanvasChange: number
    storageClearerShare: number
    clearIntervalMeanDays: number
    cookieBlockerShare: number
    incognitoUserShare: number
    incognitoVisitShare: number
    randomizerShare: number
    deviceReplacementShare: number
    homeIpChangeMeanDays: number
    mobileIpChangePerVisit: number
    darkModeAutoShare: number
  }
  /** Stored-visit counts at which latency is measured again (identifiers with a size() hook). */
  latencySizes: number[]
}

export const DEFAULT_CONFIG_PATH = new URL('./default-config.json', import.meta.url)

export function loadConfig(path?: string | URL): AccuracyConfig {
  const defaults = JSON.parse(readFileSync(DEFAULT_CONFIG_PATH, 'utf8')) as AccuracyConfig
  if (!path) return defaults
  const own = JSON.parse(readFileSync(path, 'utf8')) as Partial<AccuracyConfig>
  return merge(defaults, own) as AccuracyConfig
}

function merge(a: unknown, b: unknown): unknown {
  if (b === undefined) return a
  if (a && b && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b)) {
    const out: Record<string, unknown> = { ...(a as Record<string, unknown>) }
    for (const [k, v] of Object.entries(b as Record<string, unknown>)) out[k] = merge(out[k], v)
    return out
  }
  return b
}
