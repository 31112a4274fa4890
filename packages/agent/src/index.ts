import { type Components, collect } from './collect.js'
import { restore, save } from './persist.js'
import { nonce } from './sources/automation.js'
import { releaseGL } from './sources/webgl.js'
import { withTimeout } from './util.js'

export type { CollectOptions } from './collect.js'
export { collect } from './collect.js'
export type {
  Component,
  ComponentName,
  Components,
  ComponentValues,
  SourcesToComponents,
  SourceValue,
} from './components.js'
export { STABLE_COMPONENTS, type StableComponentName } from './stable.js'

export const ERROR_CLIENT_TIMEOUT = 'Client timeout'
export const ERROR_NETWORK_CONNECTION = 'Network connection error'
export const ERROR_API_KEY_MISSING = 'API key required'
export const ERROR_API_KEY_INVALID = 'API key not found'
export const ERROR_FORBIDDEN_ORIGIN = 'Not available for this origin'
export const ERROR_RATE_LIMIT = 'Too many requests, rate limit exceeded'
export const ERROR_GENERAL_SERVER_FAILURE = 'Request failed'
export const ERROR_BAD_RESPONSE_FORMAT = 'Response cannot be parsed'

export interface LoadOptions {
  /** The app's public API key. */
  apiKey: string
  /** Base URL of the Sightline server; default: this page's origin. */
  endpoint?: string
}

export interface GetOptions {
  tag?: unknown
  linkedId?: string
  /** ms for collection and request together; default 10000. */
  timeout?: number
  extendedResult?: boolean
}

export interface GetResult {
  requestId: string
  visitorId: string
  visitorFound: boolean
  confidence: { score: number }
  /** With extendedResult, whatever else the server answers. */
  [key: string]: unknown
}

export interface Agent {
  get(options?: GetOptions): Promise<GetResult>
}

/** The Error message for a non-2xx answer: fixed strings for auth and rate limits, otherwise the server's. */
export function errorFor(status: number, body: unknown): string {
  const error = (body as { error?: { code?: string; message?: string } } | null)?.error
  if (status === 401) return ERROR_API_KEY_MISSING
  if (status === 403)
    return error?.code === 'OriginNotAllowed' ? ERROR_FORBIDDEN_ORIGIN : ERROR_API_KEY_INVALID
  if (status === 429) return ERROR_RATE_LIMIT
  return (typeof error?.message === 'string' && error.message) || ERROR_GENERAL_SERVER_FAILURE
}

/** How long (ms) get() reuses a collection that load() or an earlier get() started. */
export const REUSE_MS = 5000
/** Events after which earlier signals may be out of date. */
const CHANGES = ['resize', 'orientationchange', 'languagechange']

/**
 * Prepares an agent and starts collecting right away, so that get() finds the slow sources done or
 * nearly done. Never rejects; problems surface from get().
 */
export async function load(options: LoadOptions): Promise<Agent> {
  const apiKey = options?.apiKey
  const endpoint = String(options?.endpoint ?? '').replace(/\/+$/, '')
  // Read (and repair) the stored id once, in the background; get() keeps it current.
  let stored = restore()
  let collecting: Promise<Components> | undefined
  let started = 0
  /** The collection in flight or just done, if it started less than REUSE_MS ago; else a new one. */
  const components = () => {
    if (!collecting || performance.now() - started > REUSE_MS) {
      started = performance.now()
      collecting = collect()
    }
    return collecting
  }
  if (apiKey) {
    try {
      for (const e of CHANGES) addEventListener(e, () => (collecting = undefined), { passive: true })
    } catch {}
    components()
  }

  /**
   * One collection may serve several get() calls; each request still carries a nonce of its own,
   * inside the components, so a re-post of them is a replay whatever else a script changes.
   */
  function withFreshNonce(c: Components): Components {
    const a = c.automation
    if (!a || !('value' in a) || typeof a.value !== 'object' || a.value === null) return c
    return { ...c, automation: { ...a, value: { ...a.value, n: nonce() } } }
  }

  async function identify(o: GetOptions, signal?: AbortSignal): Promise<GetResult> {
    const [storedId, collected] = await Promise.all([stored, components()])
    const body = {
      v: 1,
      apiKey,
      storedId,
      url: location.href.slice(0, 2048),
      referrer: document.referrer.slice(0, 2048),
      tag: o.tag,
      linkedId: o.linkedId,
      extendedResult: o.extendedResult || undefined,
      components: withFreshNonce(collected),
    }
    let res: Response
    try {
      // A string body goes as text/plain;charset=UTF-8: a CORS simple request, no preflight.
      res = await fetch(`${endpoint}/v1/identify`, {
        method: 'POST',
        body: JSON.stringify(body),
        credentials: 'omit',
        signal,
      })
    } catch {
      throw new Error(ERROR_NETWORK_CONNECTION)
    }
    const answer = await res.json().catch(() => null)
    if (!res.ok) throw new Error(errorFor(res.status, answer))
    if (!answer || typeof answer !== 'object') throw new Error(ERROR_BAD_RESPONSE_FORMAT)
    const { storedId: next, ...result } = answer
    if (next) {
      stored = Promise.resolve(next)
      // Cookie and localStorage now; IndexedDB finishes in the background.
      save(next)
    }
    // After the caller has its answer: the WebGL context is not needed until the next collection.
    setTimeout(releaseGL)
    return result
  }

  return {
    get(options?: GetOptions) {
      const o = options || {}
      if (!apiKey) return Promise.reject(new Error(ERROR_API_KEY_MISSING))
      const ctrl = typeof AbortController === 'function' ? new AbortController() : undefined
      return withTimeout(identify(o, ctrl?.signal), o.timeout ?? 10000, ERROR_CLIENT_TIMEOUT, () =>
        ctrl?.abort(),
      )
    },
  }
}
