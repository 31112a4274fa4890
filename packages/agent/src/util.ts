export const round = (n: number, digits = 0): number => {
  const f = 10 ** digits
  return Math.round(n * f) / f
}

/** The first of `values` that matches `(feature: value)`, or null. */
export const mq = (feature: string, values: readonly string[]): string | null => {
  for (const v of values) if (matchMedia(`(${feature}: ${v})`).matches) return v
  return null
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms))

/**
 * Lets the browser breathe: `scheduler.yield()` where it exists (its continuation runs before other queued
 * tasks, so a page still loading doesn't hold us up), else a `MessageChannel` task, which background tabs
 * don't throttle the way they throttle setTimeout.
 */
export const yieldTask = (): Promise<void> => {
  const s = (globalThis as { scheduler?: { yield?: () => Promise<void> } }).scheduler
  if (s?.yield) return s.yield()
  return new Promise<void>((r) => {
    const c = new MessageChannel()
    c.port1.onmessage = () => {
      c.port1.close()
      r()
    }
    c.port2.postMessage(0)
  })
}

/** Rejects with Error(message) when `p` has not settled after `ms`. */
export function withTimeout<T>(
  p: Promise<T>,
  ms: number,
  message = 'timeout',
  onTimeout?: () => void,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => {
      onTimeout?.()
      reject(new Error(message))
    }, ms)
    p.then(
      (v) => {
        clearTimeout(t)
        resolve(v)
      },
      (e) => {
        clearTimeout(t)
        reject(e)
      },
    )
  })
}

export const errorMessage = (e: unknown): string =>
  String((e as Error)?.message || (e as Error)?.name || e || 'error').slice(0, 200)
