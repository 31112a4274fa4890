/** Made at build time by scripts/build-dashboard.mjs from world-atlas (equirectangular, no Antarctica). */
declare module 'sightline:world' {
  /** The map's width and height in SVG units. */
  export const W: number
  export const H: number
  /** The projection: x = TX + K·λ, y = TY − K·φ (radians). */
  export const K: number
  export const TX: number
  export const TY: number
  /** [ISO alpha-2 code ('' when none), SVG path] per country. */
  export const shapes: [string, string][]
}
