import assert from 'node:assert/strict'
import type { Browser } from 'playwright-core'
import { type CreatedApp, createApp } from '../src/store/apps.js'
import { servePage } from './browser.js'
import { CHROME_MAC_UA, components, post, type TestServer } from './helpers.js'

/** The Server API tests make many calls in a burst: no rate limits on their servers. */
export const NO_LIMITS = {
  SIGHTLINE_RATE_LIMIT_API: '0',
  SIGHTLINE_RATE_LIMIT_IDENTIFY: '0',
  SIGHTLINE_RATE_LIMIT_IDENTIFY_PER_ADDRESS: '0',
}

export const FIREFOX_MAC_UA =
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10.15; rv:133.0) Gecko/20100101 Firefox/133.0'
export const GOOGLEBOT_UA = 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)'

/** The injected fetch that points an unmodified SDK at our server (modern-api.md). */
export function fetchTo(base: string): typeof fetch {
  return (input, init) => {
    const u = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url)
    return fetch(new URL(u.pathname + u.search, base), init)
  }
}

export const newApp = (s: TestServer, name = 'Shop'): Promise<CreatedApp> =>
  createApp(s.sl.db.kysely, { name })

export interface Identified {
  requestId: string
  visitorId: string
  visitorFound: boolean
  storedId: string
}

export interface VisitSpec {
  ip: string
  storedId?: string | undefined
  tag?: unknown
  linkedId?: string | undefined
  userAgent?: string
  /** Component overrides (helpers.components). */
  signals?: Record<string, unknown>
}

/** One identification through POST /v1/identify, as the agent would make it. */
export async function identify(s: TestServer, app: { publicKey: string }, v: VisitSpec): Promise<Identified> {
  const ua = v.userAgent ?? CHROME_MAC_UA
  const body: Record<string, unknown> = {
    apiKey: app.publicKey,
    url: 'https://shop.example/checkout',
    components: components({ userAgent: ua, ...v.signals }),
  }
  if (v.storedId) body.storedId = v.storedId
  if (v.tag !== undefined) body.tag = v.tag
  if (v.linkedId !== undefined) body.linkedId = v.linkedId
  const r = await post(s.url, body, { 'x-forwarded-for': v.ip, 'user-agent': ua })
  assert.equal(r.status, 200, JSON.stringify(r.json))
  return r.json as Identified
}

/**
 * A browser (one visitor) that keeps its stored identifier between visits; `signals` make it a
 * device of its own (a different hardwareConcurrency is another device to the engine).
 */
export function browserOf(s: TestServer, app: { publicKey: string }, signals: Record<string, unknown>) {
  let storedId: string | undefined
  return async (v: Omit<VisitSpec, 'storedId' | 'signals'>) => {
    const r = await identify(s, app, { ...v, storedId, signals })
    storedId = r.storedId
    return r
  }
}

/** A page on its own origin loading /agent.js from the server: `get()` is the real agent's. */
export async function agentSite(s: TestServer, publicKey: string) {
  return servePage(`<!doctype html><html><head><title>Shop</title>
<script src="${s.url}/agent.js"></script></head><body><h1>Checkout</h1>
<script>
window.identify = (get) =>
  Sightline.load({ apiKey: ${JSON.stringify(publicKey)}, endpoint: ${JSON.stringify(s.url)} })
    .then((agent) => agent.get(get))
    .catch((e) => ({ error: e.message }))
</script></body></html>`)
}

/** Identifies in Chromium: a fresh context unless one is given (its storage is the browser's). */
export async function chromiumVisit(
  browser: Browser,
  siteUrl: string,
  get: { tag?: unknown; linkedId?: string } = {},
  context?: Awaited<ReturnType<Browser['newContext']>>,
): Promise<{ requestId: string; visitorId: string; visitorFound: boolean }> {
  const ctx = context ?? (await browser.newContext())
  try {
    const page = await ctx.newPage()
    await page.goto(siteUrl)
    const r = (await page.evaluate((g) => (window as any).identify(g), get)) as Record<string, unknown>
    assert.ok(typeof r.requestId === 'string', `identified in Chromium: ${JSON.stringify(r)}`)
    await page.close()
    return r as { requestId: string; visitorId: string; visitorFound: boolean }
  } finally {
    if (!context) await ctx.close()
  }
}

/** Calls an SDK method that must fail; answers the SDK's error. */
export async function sdkError(
  p: Promise<unknown>,
): Promise<{ statusCode: number; errorCode: string; message: string; responseBody: any }> {
  try {
    await p
  } catch (err) {
    return err as { statusCode: number; errorCode: string; message: string; responseBody: any }
  }
  throw new Error('expected the SDK call to fail')
}

/** Newest first, as the APIs list events by default, from visits made one after another. */
export const newestFirst = <T>(made: T[]) => [...made].reverse()
