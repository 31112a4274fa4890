// Deterministic randomness: every draw comes from a seeded mulberry32 stream, never from Math.random.
import { murmur32 } from '../../packages/agent/src/hash.js'

export type Rng = () => number

export function mulberry32(seed: number): Rng {
  let s = seed >>> 0
  return () => {
    s = (s + 0x6d2b79f5) | 0
    let t = Math.imul(s ^ (s >>> 15), 1 | s)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** An independent stream named by its parts (seed, purpose, index…). */
export const rngFor = (...parts: (string | number)[]): Rng => mulberry32(murmur32(parts.join('|')))

/** A uniform number in [0, 1) that is a pure function of its parts. */
export const hashUnit = (...parts: (string | number)[]): number => murmur32(parts.join('|')) / 4294967296

export const pick = <T>(rng: Rng, items: readonly T[]): T => items[Math.floor(rng() * items.length)]!

export function pickW<T>(rng: Rng, items: readonly (readonly [T, number])[]): T {
  let total = 0
  for (const [, w] of items) total += w
  let r = rng() * total
  for (const [v, w] of items) {
    r -= w
    if (r < 0) return v
  }
  return items[items.length - 1]![0]
}

export function normal(rng: Rng): number {
  const u = Math.max(rng(), 1e-12)
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng())
}

export const logNormal = (rng: Rng, median: number, sigma: number): number =>
  median * Math.exp(sigma * normal(rng))

export const expo = (rng: Rng, mean: number): number => -mean * Math.log(1 - rng())

/** Event times of a Poisson process with `ratePerDay` over [from, to) (ms). */
export function poissonTimes(rng: Rng, ratePerDay: number, from: number, to: number): number[] {
  const out: number[] = []
  if (ratePerDay <= 0) return out
  let t = from
  for (;;) {
    t += expo(rng, DAY / ratePerDay)
    if (t >= to) return out
    out.push(t)
  }
}

/** Discrete Pareto (power law) size ≥ min, capped at max. */
export const paretoInt = (rng: Rng, min: number, alpha: number, max: number): number =>
  Math.min(max, Math.floor(min / (1 - rng()) ** (1 / alpha)))

export const DAY = 86_400_000

/** Replaces Math.random with a seeded stream while `fn` runs (fingerprint-generator samples through it). */
export function withSeededMathRandom<T>(seed: number, fn: () => T): T {
  const original = Math.random
  Math.random = mulberry32(seed)
  try {
    return fn()
  } finally {
    Math.random = original
  }
}
