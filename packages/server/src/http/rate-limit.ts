import { createHash } from 'node:crypto'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { RateLimits } from '../config.js'
import { HttpError } from './errors.js'
import { v3Secret, v4Secret } from './server-api.js'

/** Buckets kept per kind of key; past this the least recently used is forgotten. */
const MAX_BUCKETS = 100_000
const SWEEP_MS = 60_000

/**
 * Token buckets, one per key: `rate` tokens per second, holding at most `burst`.
 * Ids are hashes of the keys; a full bucket is the same as none, so idle ones are dropped.
 */
export class TokenBuckets {
  private readonly buckets = new Map<string, { tokens: number; at: number }>()

  constructor(
    readonly rate: number,
    readonly burst = Math.max(1, rate),
    private readonly maxBuckets = MAX_BUCKETS,
    private readonly now: () => number = () => performance.now(),
  ) {}

  get size() {
    return this.buckets.size
  }

  private level(b: { tokens: number; at: number }, now: number) {
    return Math.min(this.burst, b.tokens + ((now - b.at) / 1000) * this.rate)
  }

  /** Takes a token: 0 when the request may go, else the whole seconds until one is there. */
  take(id: string): number {
    const now = this.now()
    const b = this.buckets.get(id)
    const tokens = b ? this.level(b, now) : this.burst
    // Re-inserting keeps the map in least-recently-used order.
    this.buckets.delete(id)
    this.buckets.set(id, { tokens: tokens >= 1 ? tokens - 1 : tokens, at: now })
    if (this.buckets.size > this.maxBuckets) {
      const oldest = this.buckets.keys().next().value
      if (oldest !== undefined) this.buckets.delete(oldest)
    }
    return tokens >= 1 ? 0 : Math.max(1, Math.ceil((1 - tokens) / this.rate))
  }

  /** Like take, without taking: 0 when a token is there. */
  peek(id: string): number {
    const b = this.buckets.get(id)
    const tokens = b ? this.level(b, this.now()) : this.burst
    return tokens >= 1 ? 0 : Math.max(1, Math.ceil((1 - tokens) / this.rate))
  }

  /** Forgets the buckets that have refilled. */
  sweep(): void {
    const now = this.now()
    for (const [id, b] of this.buckets) if (this.level(b, now) >= this.burst) this.buckets.delete(id)
  }
}

type Kind = 'identify' | 'api'
const first = (v: unknown): string | undefined => {
  const s = Array.isArray(v) ? v[0] : v
  return typeof s === 'string' && s !== '' ? s : undefined
}

const V3_ROUTES = ['/visitors', '/events', '/related-visitors']
const isUnder = (url: string, prefix: string) => url === prefix || url.startsWith(`${prefix}/`)

/** The key a route authenticates with, read where that route reads it (nothing is checked here). */
export function requestKey(req: FastifyRequest): { kind: Kind; key: string } | null {
  const route = req.routeOptions.url
  if (!route) return null
  let key: string | undefined
  if (route === '/v1/identify') {
    if (req.method !== 'POST') return null
    const body = req.body as { apiKey?: unknown } | null | undefined
    key = first(body && typeof body === 'object' ? body.apiKey : undefined)
    return key ? { kind: 'identify', key } : null
  }
  if (isUnder(route, '/v1')) key = first(req.headers.auth)
  else if (isUnder(route, '/v4')) key = v4Secret(req)
  else if (V3_ROUTES.some((p) => isUnder(route, p))) key = v3Secret(req)
  return key ? { kind: 'api', key } : null
}

// Buckets are named by a hash: raw keys are never kept in memory longer than the request.
const bucketId = (key: string) => createHash('sha256').update(key).digest('base64url').slice(0, 22)

const perSecond = (rate: number) => (Number.isInteger(rate) ? String(rate) : rate.toFixed(2))

/**
 * Per-key request limits: `identify` per public key on POST /v1/identify, `api` per secret key on
 * the Server APIs (/v1, v3, v4); and `identifyPerAddress` per client address on POST /v1/identify,
 * so that one client holding a (public, by design) key cannot spend the whole site's budget.
 * 0 turns a limit off. Each process keeps its own buckets.
 * Runs after the body is parsed (the agent's key is in it) and before validation, so a flood of
 * any kind of request with one key is cut short; the 429 takes each route's error shape.
 */
export function installRateLimits(app: FastifyInstance, limits: RateLimits): void {
  const buckets: Partial<Record<Kind, TokenBuckets>> = {}
  for (const kind of ['identify', 'api'] as const) {
    if (limits[kind] > 0) buckets[kind] = new TokenBuckets(limits[kind])
  }
  const perAddress = limits.identifyPerAddress > 0 ? new TokenBuckets(limits.identifyPerAddress) : null
  if (!buckets.identify && !buckets.api && !perAddress) return

  const tooMany = (limiter: TokenBuckets, wait: number, who: string) =>
    new HttpError(
      429,
      'TooManyRequests',
      `Too many requests, rate limit exceeded: ${who} may make ${perSecond(limiter.rate)} requests per second`,
      { 'retry-after': String(wait) },
    )

  app.addHook('preValidation', async (req) => {
    if (perAddress && req.method === 'POST' && req.routeOptions.url === '/v1/identify') {
      const wait = perAddress.take(bucketId(`ip:${req.ip}`))
      if (wait > 0) throw tooMany(perAddress, wait, 'this client address')
    }
    const found = requestKey(req)
    const limiter = found && buckets[found.kind]
    if (!found || !limiter) return
    const wait = limiter.take(bucketId(found.key))
    if (wait > 0) throw tooMany(limiter, wait, 'this key')
  })

  const timer = setInterval(() => {
    for (const b of [...Object.values(buckets), perAddress]) b?.sweep()
  }, SWEEP_MS)
  timer.unref()
  app.addHook('onClose', async () => clearInterval(timer))
}
