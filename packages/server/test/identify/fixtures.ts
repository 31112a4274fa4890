import type { Profile } from '../../src/identify/profile.js'

/** The stable values of a Chrome on Windows. */
export const STABLE = {
  audio: 124.04347527516074,
  canvas: { text: 'c1', geometry: 'g1', stable: true },
  deviceMemory: 8,
  fonts: ['Arial', 'Calibri', 'Cambria', 'Consolas', 'Segoe UI'],
  hardwareConcurrency: 8,
  intl: {
    locale: 'en-US',
    calendar: 'gregory',
    numberingSystem: 'latn',
    timeZone: 'America/Chicago',
    hourCycle: 'h12',
  },
  languages: ['en-US', 'en'],
  math: { tan: -1.4214488238747245 },
  pdfViewerEnabled: true,
  platform: 'Win32',
  screenSize: { long: 1920, short: 1080, colorDepth: 24 },
  touchSupport: { maxTouchPoints: 0 },
  vendor: 'Google Inc.',
  webgl: {
    vendor: 'WebKit',
    renderer: 'WebKit WebGL',
    unmaskedRenderer: 'ANGLE (NVIDIA, NVIDIA GeForce RTX 3060 (0x00002504) Direct3D11 vs_5_0 ps_5_0, D3D11)',
  },
}

export const T0 = 1_760_000_000_000_000
/** That browser's profile at T0, at home, with `over` and `stable` changed. */
export function profile(over: Partial<Profile> = {}, stable: Record<string, unknown> = {}): Profile {
  return {
    stable: { ...STABLE, ...stable },
    browser: 'Chrome',
    major: 131,
    os: 'Windows',
    network: { ip: '203.0.113.7', prefix: '203.0.113.0/24', asn: 64500, country: 'US' },
    seenAt: T0,
    ...over,
  }
}
