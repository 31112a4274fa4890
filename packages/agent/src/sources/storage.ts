const has = (get: () => unknown) => {
  try {
    return !!get()
  } catch {
    return false
  }
}

/** Which storage mechanisms the page may use. */
export const storage = () => ({
  cookies: navigator.cookieEnabled,
  localStorage: has(() => window.localStorage),
  sessionStorage: has(() => window.sessionStorage),
  indexedDB: has(() => window.indexedDB),
})
