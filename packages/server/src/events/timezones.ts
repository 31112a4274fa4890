const formatters = new Map<string, Intl.DateTimeFormat | null>()

function formatter(zone: string): Intl.DateTimeFormat | null {
  let f = formatters.get(zone)
  if (f === undefined) {
    try {
      f = new Intl.DateTimeFormat('en-US', { timeZone: zone, timeZoneName: 'longOffset' })
    } catch {
      f = null // not a zone this runtime knows
    }
    // Zone names come from browsers: bound the cache.
    if (formatters.size < 1000) formatters.set(zone, f)
  }
  return f
}

/** The UTC offset in minutes (east positive) of an IANA zone at an instant, or null for an unknown zone. */
export function zoneOffset(zone: string, ms: number): number | null {
  const part = formatter(zone)
    ?.formatToParts(new Date(ms))
    .find((p) => p.type === 'timeZoneName')?.value
  if (!part) return null
  if (part === 'GMT') return 0
  const m = /^GMT([+-])(\d{2}):(\d{2})$/.exec(part)
  return m ? (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3])) : null
}
