/** Every API's times come from here: stored times are µs since the epoch. */

export const msOf = (us: number) => Math.floor(Number(us) / 1000)

/** ISO 8601 UTC with milliseconds (v3, webhooks, the agent's result). */
export const isoOf = (us: number) => new Date(msOf(us)).toISOString()

/** ISO 8601 UTC with 6 fractional digits (the v1 spec's timestamps). */
export function isoMicros(us: number): string {
  const micros = String(Number(us) % 1000).padStart(3, '0')
  return `${isoOf(us).slice(0, -1)}${micros}Z`
}

/** Visitors are per app here: "global" (across every customer of a SaaS) has no meaning, so null. */
export const seenAt = (us: number | null | undefined) => ({
  global: null,
  subscription: us === null || us === undefined ? null : isoOf(us),
})
