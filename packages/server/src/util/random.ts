import { randomBytes } from 'node:crypto'

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'

/** Uniformly random `[A-Za-z0-9]{n}` from the CSPRNG (rejection sampling, no modulo bias). */
export function randomAlnum(n: number): string {
  let out = ''
  while (out.length < n) {
    for (const b of randomBytes(n * 2)) {
      if (b < 248) out += ALNUM[b % 62]
      if (out.length === n) break
    }
  }
  return out
}

/** Wall-clock time in whole microseconds (sub-millisecond part from the high-resolution clock). */
export function nowMicros(): number {
  return Math.floor((performance.timeOrigin + performance.now()) * 1000)
}
