import { readFileSync } from 'node:fs'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { Kysely } from 'kysely'
import { HttpError } from '../http/errors.js'
import type { Database } from '../store/schema.js'
import { countUsers } from '../store/users.js'
import { dashboardApi } from './api.js'
import {
  Auth,
  clearCookie,
  newToken,
  readCookie,
  SESSION_COOKIE,
  type SessionLimits,
  SIGN_IN_COOKIE,
  sameOrigin,
  sameSecret,
  setCookie,
} from './auth.js'
import { esc } from './html.js'
import { signInPage } from './sign-in.js'

export interface DashboardOptions {
  db: Kysely<Database>
  limits: SessionLimits
}

interface Manifest {
  js: string
  css: string
}

// From src/ (tests) and dist/ alike: the browser code is built into dist/ui.
const BUILT = new URL('../../dist/ui/', import.meta.url)
const ASSETS = new URL('assets/', BUILT)

/** The built browser code (scripts/build-dashboard.mjs); null when it was not built. */
function loadManifest(): Manifest | null {
  try {
    return JSON.parse(readFileSync(new URL('manifest.json', BUILT), 'utf8')) as Manifest
  } catch {
    return null
  }
}

const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "form-action 'self'",
  "base-uri 'none'",
].join('; ')

function secureHeaders(reply: FastifyReply) {
  reply
    .header('content-security-policy', CSP)
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'same-origin')
    .header('cache-control', 'no-store')
}

function shell(m: Manifest, csrf: string) {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<meta name="csrf-token" content="${esc(csrf)}">
<title>Sightline dashboard</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/dashboard/assets/${esc(m.css)}">
<script type="module" src="/dashboard/assets/${esc(m.js)}"></script>
</head><body><div id="app"></div></body></html>`
}

/** Only paths into the dashboard: never another site, never `//host`. */
const safeNext = (next: unknown) =>
  typeof next === 'string' && /^\/dashboard(\/[\w\-./%?=&:+,]*)?$/.test(next) && !next.includes('//')
    ? next
    : '/dashboard'

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])

/** The owner's dashboard: /dashboard (pages), /dashboard/api (its JSON, session only) and sign-in. */
export async function dashboardRoutes(app: FastifyInstance, opts: DashboardOptions) {
  const { db } = opts
  const auth = new Auth(db, opts.limits)
  const manifest = loadManifest()
  const assets = new Map<string, { body: Buffer; type: string }>()
  if (manifest)
    for (const f of [manifest.js, manifest.css])
      assets.set(f, {
        body: readFileSync(new URL(f, ASSETS)),
        type: f.endsWith('.css') ? 'text/css; charset=utf-8' : 'text/javascript; charset=utf-8',
      })

  const signIn = async (
    req: FastifyRequest,
    reply: FastifyReply,
    status: number,
    fields: { message?: string; email?: string; next?: string },
  ) => {
    const token = newToken()
    setCookie(req, reply, SIGN_IN_COOKIE, token)
    secureHeaders(reply)
    const noUsers = (await countUsers(db)) === 0
    return reply
      .code(status)
      .type('text/html; charset=utf-8')
      .send(signInPage({ ...fields, csrf: token, noUsers, next: safeNext(fields.next) }))
  }

  app.get<{ Querystring: { next?: string; expired?: string } }>(
    '/dashboard/sign-in',
    { schema: { hide: true } },
    async (req, reply) => {
      if (await auth.session(req)) return reply.redirect(safeNext(req.query.next), 303)
      return signIn(req, reply, 200, {
        next: req.query.next,
        ...(req.query.expired ? { message: 'Your session has ended. Sign in again.' } : {}),
      })
    },
  )

  await app.register(async (forms) => {
    forms.addContentTypeParser(
      'application/x-www-form-urlencoded',
      { parseAs: 'string', bodyLimit: 8192 },
      (_req, body, done) => done(null, Object.fromEntries(new URLSearchParams(body as string))),
    )
    forms.post<{ Body: Record<string, string | undefined> }>(
      '/dashboard/sign-in',
      { schema: { hide: true } },
      async (req, reply) => {
        const body = (typeof req.body === 'object' && req.body) || {}
        const email = typeof body.email === 'string' ? body.email.slice(0, 254) : ''
        const password = typeof body.password === 'string' ? body.password : ''
        const next = body.next
        if (!sameOrigin(req) || !sameSecret(body.csrf, readCookie(req, SIGN_IN_COOKIE)))
          return signIn(req, reply, 403, { email, next, message: 'The form expired. Please sign in again.' })
        const result = await auth.signIn(email, password, req.ip)
        if (!result.ok && result.reason === 'limited') {
          reply.header('retry-after', String(result.retryAfterS))
          return signIn(req, reply, 429, {
            email,
            next,
            message: `Too many sign-in attempts. Try again in ${result.retryAfterS} seconds.`,
          })
        }
        if (!result.ok) return signIn(req, reply, 401, { email, next, message: 'Wrong email or password.' })
        clearCookie(req, reply, SIGN_IN_COOKIE)
        setCookie(req, reply, SESSION_COOKIE, result.token)
        req.log.info({ user: result.session.user.id }, 'dashboard sign-in')
        return reply.redirect(safeNext(next), 303)
      },
    )
  })

  app.get<{ Params: { file: string } }>(
    '/dashboard/assets/:file',
    { schema: { hide: true } },
    async (req, reply) => {
      const asset = assets.get(req.params.file)
      if (!asset) throw new HttpError(404, 'NotFound', 'no such asset')
      return reply
        .type(asset.type)
        .header('cache-control', 'public, max-age=31536000, immutable')
        .header('x-content-type-options', 'nosniff')
        .send(asset.body)
    },
  )

  const page = async (req: FastifyRequest, reply: FastifyReply) => {
    const session = await auth.session(req)
    if (!session) {
      const ended = readCookie(req, SESSION_COOKIE) ? '&expired=1' : ''
      if (ended) clearCookie(req, reply, SESSION_COOKIE)
      return reply.redirect(`/dashboard/sign-in?next=${encodeURIComponent(req.url)}${ended}`, 303)
    }
    if (!manifest) throw new HttpError(503, 'NotBuilt', 'the dashboard was not built: run npm run build')
    secureHeaders(reply)
    return reply.type('text/html; charset=utf-8').send(shell(manifest, session.csrf))
  }
  app.get('/dashboard', { schema: { hide: true } }, page)
  app.get('/dashboard/apps/*', { schema: { hide: true } }, page)
  app.get('/dashboard/settings', { schema: { hide: true } }, page)
  app.get('/dashboard/settings/*', { schema: { hide: true } }, page)

  await app.register(
    async (api) => {
      api.addHook('onRoute', (route) => {
        route.schema = { ...route.schema, hide: true }
      })
      api.addHook('onRequest', async (req, reply) => {
        reply.header('cache-control', 'no-store')
        // The apps' keys are never accepted here: only the session cookie.
        const session = await auth.session(req)
        if (!session) {
          if (readCookie(req, SESSION_COOKIE)) clearCookie(req, reply, SESSION_COOKIE)
          throw new HttpError(401, 'SessionRequired', 'sign in at /dashboard/sign-in')
        }
        if (MUTATING.has(req.method)) {
          const token = req.headers['x-csrf-token']
          if (!sameOrigin(req) || !sameSecret(typeof token === 'string' ? token : undefined, session.csrf))
            throw new HttpError(
              403,
              'CsrfRejected',
              'this request did not come from the dashboard (CSRF token missing or wrong)',
            )
          const everyone = req.url.endsWith('/sign-out') || req.url.endsWith('/sign-out-everywhere')
          if (session.user.role !== 'admin' && !everyone)
            throw new HttpError(403, 'ReadOnly', 'your account can read but not change anything (viewer)')
        }
        req.dashboardSession = session
      })
      await dashboardApi(api, { db, auth })
    },
    { prefix: '/dashboard/api' },
  )
}
