import { mq } from '../util.js'

const on = (feature: string, value: string) => matchMedia(`(${feature}: ${value})`).matches

/** CSS media features about the display and the user's accessibility settings. */
export const media = () => ({
  colorGamut: mq('color-gamut', ['rec2020', 'p3', 'srgb']),
  hdr: on('dynamic-range', 'high'),
  contrast: mq('prefers-contrast', ['more', 'less', 'custom', 'no-preference']),
  reducedMotion: on('prefers-reduced-motion', 'reduce'),
  reducedTransparency: on('prefers-reduced-transparency', 'reduce'),
  forcedColors: on('forced-colors', 'active'),
  invertedColors: mq('inverted-colors', ['inverted', 'none']),
  colorScheme: mq('prefers-color-scheme', ['dark', 'light']),
  monochrome: on('monochrome', '0') ? 0 : matchMedia('(monochrome)').matches ? 1 : null,
})
