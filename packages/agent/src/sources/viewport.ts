import { round } from '../util.js'

export const viewport = () => ({
  innerWidth,
  innerHeight,
  outerWidth,
  outerHeight,
  devicePixelRatio: round(devicePixelRatio, 2),
})
