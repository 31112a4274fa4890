/** How the default locale formats a fixed date and number (also varies with the browser's ICU data). */
export function intlFormat() {
  const d = new Date(Date.UTC(2020, 0, 31, 15, 4, 5))
  return {
    date: d.toLocaleString(),
    dateUTC: d.toLocaleString(undefined, {
      timeZone: 'UTC',
      dateStyle: 'full',
      timeStyle: 'long',
    } as Intl.DateTimeFormatOptions),
    number: (1234567.891).toLocaleString(),
    list:
      typeof (Intl as any).ListFormat === 'function'
        ? new (Intl as any).ListFormat().format(['a', 'b', 'c'])
        : null,
  }
}
