/** Current offset (changes with DST); the zone name is also in `intl`, which is stable. */
export const timezone = () => ({
  name: Intl.DateTimeFormat().resolvedOptions().timeZone ?? null,
  offset: new Date().getTimezoneOffset(),
})
