/** GiB, rounded and capped by the browser (Chromium only). */
export const deviceMemory = () => (navigator as Navigator & { deviceMemory?: number }).deviceMemory ?? null
