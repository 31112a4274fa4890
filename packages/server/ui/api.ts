import { useCallback, useEffect, useState } from 'preact/hooks'

/** The dashboard's JSON API client: same-origin, the session cookie, the CSRF header on writes. */

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message)
  }
}

type Notice = { text: string; kind: 'error' | 'ok' } | null
const listeners = new Set<(n: Notice) => void>()
let current: Notice = null
let since = 0

/** Says something in the page's live region (errors and confirmations). */
export function announce(text: string | null, kind: 'error' | 'ok' = 'ok'): void {
  current = text ? { text, kind } : null
  since = Date.now()
  for (const l of listeners) l(current)
}

/** On a navigation: forgets a message unless it was just said (by the action that navigated). */
export function clearOldNotice(): void {
  if (current && Date.now() - since > 1500) announce(null)
}

export function useNotice(): Notice {
  const [n, setN] = useState<Notice>(current)
  useEffect(() => {
    listeners.add(setN)
    return () => {
      listeners.delete(setN)
    }
  }, [])
  return n
}

export const csrfToken = (): string =>
  document.querySelector<HTMLMetaElement>('meta[name="csrf-token"]')?.content ?? ''

export function toSignIn(): void {
  location.assign(`/dashboard/sign-in?next=${encodeURIComponent(location.pathname + location.search)}`)
}

export interface CallOptions {
  /** Don't put the error in the live region (the caller shows it). */
  quiet?: boolean
}

export async function api<T>(
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
  path: string,
  body?: unknown,
  opts: CallOptions = {},
): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' }
  if (method !== 'GET') headers['x-csrf-token'] = csrfToken()
  if (body !== undefined) headers['content-type'] = 'application/json'
  let res: Response
  try {
    res = await fetch(`/dashboard/api${path}`, {
      method,
      headers,
      credentials: 'same-origin',
      body: body === undefined ? undefined : JSON.stringify(body),
    })
  } catch {
    const err = new ApiError(0, 'network', 'The server could not be reached.')
    if (!opts.quiet) announce(err.message, 'error')
    throw err
  }
  if (res.status === 401) {
    toSignIn()
    throw new ApiError(401, 'unauthorized', 'Your session has ended; signing in again.')
  }
  const text = await res.text()
  let json: any = null
  try {
    json = text ? JSON.parse(text) : null
  } catch {
    json = null
  }
  if (!res.ok) {
    const err = new ApiError(
      res.status,
      json?.error?.code ?? 'error',
      json?.error?.message ?? `The server answered ${res.status}.`,
    )
    if (!opts.quiet) announce(err.message, 'error')
    throw err
  }
  return json as T
}

export interface Loaded<T> {
  data: T | null
  error: ApiError | null
  loading: boolean
  reload: () => void
  setData: (d: T | null) => void
}

/** GETs `path` (null: nothing) and reloads when it changes. */
export function useApi<T>(path: string | null, opts: CallOptions = {}): Loaded<T> {
  const [data, setData] = useState<T | null>(null)
  const [error, setError] = useState<ApiError | null>(null)
  const [loading, setLoading] = useState(path !== null)
  const [tick, setTick] = useState(0)
  const quiet = opts.quiet === true
  useEffect(() => {
    if (path === null) {
      setData(null)
      setLoading(false)
      return
    }
    let live = true
    setLoading(true)
    setError(null)
    api<T>('GET', path, undefined, { quiet }).then(
      (d) => {
        if (!live) return
        setData(d)
        setLoading(false)
      },
      (e: ApiError) => {
        if (!live) return
        setError(e)
        setData(null)
        setLoading(false)
      },
    )
    return () => {
      live = false
    }
  }, [path, tick, quiet])
  const reload = useCallback(() => setTick((t) => t + 1), [])
  return { data, error, loading, reload, setData }
}

/** Query string from an object, skipping empty values. */
export function qs(params: Record<string, string | number | undefined | null>): string {
  const p = new URLSearchParams()
  for (const [k, v] of Object.entries(params))
    if (v !== undefined && v !== null && v !== '') p.set(k, String(v))
  const s = p.toString()
  return s ? `?${s}` : ''
}

export const enc = encodeURIComponent
