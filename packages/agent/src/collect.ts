import type { Component, SourcesToComponents } from './components.js'
import { sources as defaultSources, type Source } from './sources/index.js'
import { errorMessage, round, withTimeout, yieldTask } from './util.js'

export type { Component, Components } from './components.js'

export interface CollectOptions<S extends Record<string, Source> = typeof defaultSources> {
  /** Per-source time budget in ms (default 1000). */
  budget?: number
  sources?: S
}

const now = () => performance.now()
const json = (value: unknown) => (value === undefined ? null : value)

/**
 * Runs every source; synchronous ones one after another (yielding to the page every ~16 ms),
 * asynchronous ones in parallel, each limited to `budget` ms.
 */
export async function collect<S extends Record<string, Source> = typeof defaultSources>({
  budget = 1000,
  sources = defaultSources as unknown as S,
}: CollectOptions<S> = {}): Promise<SourcesToComponents<S>> {
  const out: Record<string, Component> = {}
  const pending: Promise<void>[] = []
  let lastYield = now()
  for (const name of Object.keys(sources)) {
    // Yield between sources once ~16 ms have passed (never after the last one).
    if (now() - lastYield > 16) {
      await yieldTask()
      lastYield = now()
    }
    const start = now()
    const done = (c: Omit<Component, 'duration'>) => {
      out[name] = { ...c, duration: round(now() - start) } as Component
    }
    try {
      const result = sources[name]!()
      if (result instanceof Promise) {
        pending.push(
          withTimeout(result, budget).then(
            (value) => done({ value: json(value) }),
            (e) => done({ error: errorMessage(e) }),
          ),
        )
      } else done({ value: json(result) })
    } catch (e) {
      done({ error: errorMessage(e) })
    }
  }
  await Promise.all(pending)
  // Registry order, whatever order the sources finished in.
  const sorted: Record<string, Component> = {}
  for (const name of Object.keys(sources)) sorted[name] = out[name]!
  return sorted as SourcesToComponents<S>
}
