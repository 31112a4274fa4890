/** Locale settings and the time zone name: no formatted text (that changes with ICU updates). */
export function intl() {
  const o = Intl.DateTimeFormat().resolvedOptions()
  return {
    locale: o.locale,
    calendar: o.calendar,
    numberingSystem: o.numberingSystem,
    timeZone: o.timeZone ?? null,
    hourCycle: Intl.DateTimeFormat(undefined, { hour: 'numeric' }).resolvedOptions().hourCycle ?? null,
  }
}
