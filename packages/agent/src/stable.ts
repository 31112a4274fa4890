import type { ComponentName } from './components.js'

/**
 * Components whose values survive reloads, window resizes, zoom, DST and browser updates, yet differ
 * between devices. The server hashes exactly these (in this order, values as sent) into `fingerprint`.
 * Keep this module free of browser globals: the server imports it.
 */
export const STABLE_COMPONENTS = [
  'audio',
  'canvas',
  'deviceMemory',
  'fonts',
  'hardwareConcurrency',
  'intl',
  'languages',
  'math',
  'pdfViewerEnabled',
  'platform',
  'screenSize',
  'touchSupport',
  'vendor',
  'webgl',
] as const satisfies readonly ComponentName[]
export type StableComponentName = (typeof STABLE_COMPONENTS)[number]
