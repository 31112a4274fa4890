/**
 * Weights of the bot signals (docs/bot-detection.md explains each one and its false-positive risks).
 * A weight is the probability that signal alone gives that the visitor is a bot.
 */
export const BOT_WEIGHTS = {
  // The browser or client says so.
  ua_declares_bot: 0.9,
  headless_chrome: 0.8,
  webdriver: 0.8,
  automation_globals: 0.9,
  // A DevTools-protocol client serialises the page's console calls (Runtime domain enabled).
  cdp_runtime: 0.7,
  // Someone rewrote browser APIs to hide automation.
  webdriver_tampered: 0.7,
  api_tampered: 0.5,
  // Contradictions between what the User-Agent claims and what the browser is (group `ua`).
  ua_hints_mismatch: 0.6,
  ua_platform_mismatch: 0.5,
  ua_engine_mismatch: 0.5,
  hints_blank: 0.3,
  // Window geometry no real window has (group `geometry`).
  emulated_screen: 0.5,
  screen_is_viewport: 0.3,
  window_larger_than_screen: 0.3,
  window_without_size: 0.2,
  headless_default_screen: 0.2,
  // Headless quirks.
  permissions_contradict: 0.4,
  plugins_inconsistent: 0.4,
  // Circumstantial: servers and VMs, but also some people's machines (group `environment`).
  software_renderer: 0.1,
  no_speech_voices: 0.05,
  no_media_devices: 0.05,
  no_taskbar: 0.03,
  fingerprint_api_tampered: 0.1,
  // The request itself.
  ua_missing: 0.5,
  ua_mismatch: 0.5,
  payload_incomplete: 0.6,
  payload_malformed: 0.6,
  durations_uniform: 0.6,
  replayed_payload: 0.95,
} as const

export type BotSignal = keyof typeof BOT_WEIGHTS

/** Groups of correlated signals: they combine among themselves, then count for at most `cap`. */
export const BOT_GROUPS = {
  ua: {
    cap: 0.7,
    signals: ['ua_hints_mismatch', 'ua_platform_mismatch', 'ua_engine_mismatch', 'hints_blank'],
  },
  geometry: {
    cap: 0.5,
    signals: [
      'emulated_screen',
      'screen_is_viewport',
      'window_larger_than_screen',
      'window_without_size',
      'headless_default_screen',
    ],
  },
  environment: {
    cap: 0.2,
    signals: [
      'software_renderer',
      'no_speech_voices',
      'no_media_devices',
      'no_taskbar',
      'fingerprint_api_tampered',
    ],
  },
} as const satisfies Record<string, { cap: number; signals: readonly BotSignal[] }>

export function groupOf(signal: BotSignal): keyof typeof BOT_GROUPS | null {
  for (const [name, g] of Object.entries(BOT_GROUPS))
    if ((g.signals as readonly string[]).includes(signal)) return name as keyof typeof BOT_GROUPS
  return null
}
