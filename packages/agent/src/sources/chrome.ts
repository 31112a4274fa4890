/** window.chrome: real Chromium has it (keys vary by build, headless, extensions); spoofers often fake it. */
export function chrome() {
  const c = (window as any).chrome
  return c && typeof c === 'object' ? { keys: Object.keys(c).sort() } : null
}
