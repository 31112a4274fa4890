import { type Agent, type GetOptions, type GetResult, type LoadOptions, load } from '@sightline/agent'
import {
  createContext,
  createElement,
  type ReactNode,
  useCallback,
  useContext,
  useEffect,
  useMemo,
  useRef,
  useState,
} from 'react'

export type { GetOptions, GetResult, LoadOptions } from '@sightline/agent'

/** Where answers are kept between hook calls; false: every call asks the server. */
export type CacheLocation = 'memory' | 'sessionStorage' | false

export interface SightlineProviderProps {
  /** Passed to the agent's load(): `apiKey` (public key) and `endpoint` (the Sightline server). */
  loadOptions: LoadOptions
  /** Default 'memory': answers live as long as the page. */
  cache?: CacheLocation
  /** How long a cached answer is served; default one hour. */
  cacheTimeMs?: number
  /** Prefix of the sessionStorage keys; default 'sightline:'. */
  cachePrefix?: string
  children?: ReactNode
}

export interface VisitorDataClient {
  /** Loads the agent (once) and identifies, from the cache unless `ignoreCache`. Browser only. */
  getVisitorData(options?: GetOptions, ignoreCache?: boolean): Promise<GetResult>
}

export const DEFAULT_CACHE_TIME_MS = 60 * 60 * 1000

interface Entry {
  value: GetResult
  expiresAt: number
}

/** The cache key: the options that change the server's answer. */
const keyOf = (o: GetOptions) => JSON.stringify([o.tag ?? null, o.linkedId ?? null, !!o.extendedResult])

const safe = <T>(fn: () => T): T | undefined => {
  try {
    return fn()
  } catch {
    return undefined
  }
}

/** A client for one provider: one agent, one cache, and one request in flight per key. */
export function createClient(props: Omit<SightlineProviderProps, 'children'>): VisitorDataClient {
  const {
    loadOptions,
    cache = 'memory',
    cacheTimeMs = DEFAULT_CACHE_TIME_MS,
    cachePrefix = 'sightline:',
  } = props
  let agent: Promise<Agent> | undefined
  const memory = new Map<string, Entry>()
  const inFlight = new Map<string, Promise<GetResult>>()

  const read = (key: string): GetResult | undefined => {
    const entry =
      cache === 'memory'
        ? memory.get(key)
        : cache === 'sessionStorage'
          ? safe(() => JSON.parse(sessionStorage.getItem(cachePrefix + key) ?? 'null') as Entry | null)
          : undefined
    if (!entry || typeof entry.expiresAt !== 'number' || entry.expiresAt <= Date.now()) return undefined
    return entry.value
  }
  const write = (key: string, value: GetResult) => {
    const entry: Entry = { value, expiresAt: Date.now() + cacheTimeMs }
    if (cache === 'memory') memory.set(key, entry)
    else if (cache === 'sessionStorage')
      safe(() => sessionStorage.setItem(cachePrefix + key, JSON.stringify(entry)))
  }

  return {
    async getVisitorData(options = {}, ignoreCache = false) {
      const key = keyOf(options)
      if (!ignoreCache) {
        const hit = read(key)
        if (hit) return hit
        const pending = inFlight.get(key)
        if (pending) return pending
      }
      agent ??= load(loadOptions)
      const request = agent.then((a) => a.get(options))
      inFlight.set(key, request)
      try {
        const value = await request
        write(key, value)
        return value
      } finally {
        if (inFlight.get(key) === request) inFlight.delete(key)
      }
    },
  }
}

const Context = createContext<VisitorDataClient | null>(null)

/**
 * Makes the agent available to useVisitorData below it. Rendering touches no browser API, so it is safe
 * on the server; the agent loads in an effect, i.e. only in the browser.
 */
export function SightlineProvider({ children, ...props }: SightlineProviderProps) {
  const { loadOptions, cache, cacheTimeMs, cachePrefix } = props
  const { apiKey, endpoint } = loadOptions
  const client = useMemo(
    () => createClient({ loadOptions: { apiKey, endpoint }, cache, cacheTimeMs, cachePrefix }),
    [apiKey, endpoint, cache, cacheTimeMs, cachePrefix],
  )
  return createElement(Context.Provider, { value: client }, children)
}

export interface UseVisitorDataConfig {
  /** Identify as soon as the component mounts (default true); otherwise only when getData() is called. */
  immediate?: boolean
}

export interface VisitorQueryResult {
  isLoading: boolean
  /** True once a call has finished, with data or with an error. */
  isFetched: boolean
  data?: GetResult
  error?: Error
  /** Identifies again; `ignoreCache` skips the cache and asks the server. Rejects as the agent does. */
  getData(options?: { ignoreCache?: boolean }): Promise<GetResult>
}

interface State {
  isLoading: boolean
  isFetched: boolean
  data?: GetResult
  error?: Error
}

export function useVisitorData(
  getOptions: GetOptions = {},
  config: UseVisitorDataConfig = {},
): VisitorQueryResult {
  const client = useContext(Context)
  if (!client) throw new Error('useVisitorData must be used inside <SightlineProvider>')
  const immediate = config.immediate ?? true
  // On the server and in the first browser render: loading if a call is about to start.
  const [state, setState] = useState<State>({ isLoading: immediate, isFetched: false })
  const options = useRef(getOptions)
  options.current = getOptions
  const key = keyOf(getOptions)
  const latest = useRef(0)
  const mounted = useRef(false)
  useEffect(() => {
    mounted.current = true
    return () => {
      mounted.current = false
    }
  }, [])

  const getData = useCallback(
    async ({ ignoreCache = false }: { ignoreCache?: boolean } = {}) => {
      const call = ++latest.current
      // Only the latest call may set the state: an older answer must not overwrite a newer one.
      const settle = (next: (s: State) => State) => {
        if (mounted.current && call === latest.current) setState(next)
      }
      settle((s) => ({ ...s, isLoading: true }))
      try {
        const data = await client.getVisitorData(options.current, ignoreCache)
        settle(() => ({ isLoading: false, isFetched: true, data }))
        return data
      } catch (e) {
        const error = e instanceof Error ? e : new Error(String(e))
        settle((s) => ({ ...s, isLoading: false, isFetched: true, error }))
        throw error
      }
    },
    [client],
  )

  // biome-ignore lint/correctness/useExhaustiveDependencies: `key` stands for getOptions' contents
  useEffect(() => {
    if (immediate) getData().catch(() => {})
  }, [immediate, key, getData])

  return { ...state, getData }
}
