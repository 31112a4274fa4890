const CHROMIUM = new Set(['Chrome', 'Chromium', 'Edge', 'Opera', 'Samsung Internet', 'Yandex', 'Brave'])

/**
 * Chromium gives a private window a quota bounded by memory (well under 2× the JS heap limit),
 * a regular profile a share of the disk. Other engines: not known, so false.
 */
export function detectIncognito(raw: unknown, browserName: string | null): boolean {
  if (!browserName || !CHROMIUM.has(browserName) || typeof raw !== 'object' || raw === null) return false
  const { quota, jsHeapSizeLimit } = raw as { quota?: unknown; jsHeapSizeLimit?: unknown }
  if (typeof quota !== 'number' || !Number.isFinite(quota) || quota <= 0) return false
  const heap = typeof jsHeapSizeLimit === 'number' && jsHeapSizeLimit > 0 ? jsHeapSizeLimit : 2 ** 30
  return quota < 2 * heap
}
