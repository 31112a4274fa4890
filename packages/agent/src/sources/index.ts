import { audio } from './audio.js'
import { automation } from './automation.js'
import { canvas } from './canvas.js'
import { chrome } from './chrome.js'
import { deviceMemory } from './deviceMemory.js'
import { errorStack } from './errorStack.js'
import { fonts } from './fonts.js'
import { hardwareConcurrency } from './hardwareConcurrency.js'
import { incognito } from './incognito.js'
import { intl } from './intl.js'
import { intlFormat } from './intlFormat.js'
import { languages } from './languages.js'
import { math } from './math.js'
import { media } from './media.js'
import { mediaDevices } from './mediaDevices.js'
import { pdfViewerEnabled } from './pdfViewerEnabled.js'
import { permissions } from './permissions.js'
import { platform } from './platform.js'
import { plugins } from './plugins.js'
import { screen } from './screen.js'
import { screenFrame } from './screenFrame.js'
import { screenSize } from './screenSize.js'
import { speechVoices } from './speechVoices.js'
import { storage } from './storage.js'
import { timezone } from './timezone.js'
import { touchSupport } from './touchSupport.js'
import { uaHints } from './uaHints.js'
import { userAgent } from './userAgent.js'
import { vendor } from './vendor.js'
import { viewport } from './viewport.js'
import { webdriver } from './webdriver.js'
import { webgl } from './webgl.js'
import { webglParams } from './webglParams.js'

/** A source returns JSON-able data (or a promise of it) and throws on unexpected failure. */
export type Source = () => unknown

/** Every component the agent collects, by name. Asynchronous sources first so they overlap the rest. */
export const sources = {
  audio,
  uaHints,
  incognito,
  permissions,
  speechVoices,
  mediaDevices,
  userAgent,
  webdriver,
  automation,
  timezone,
  languages,
  screen,
  screenSize,
  screenFrame,
  viewport,
  hardwareConcurrency,
  deviceMemory,
  platform,
  vendor,
  plugins,
  pdfViewerEnabled,
  touchSupport,
  storage,
  math,
  media,
  intl,
  intlFormat,
  chrome,
  errorStack,
  canvas,
  webgl,
  webglParams,
  fonts,
} satisfies Record<string, Source>
