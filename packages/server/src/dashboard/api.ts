import { isIP } from 'node:net'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { Kysely } from 'kysely'
import { loadEvent, toV3Event, toV4Event } from '../events/index.js'
import { HttpError } from '../http/errors.js'
import { countryName, rawVisit, topCounts, toVisitorRow, toVisitSummary } from '../mappers/dashboard.js'
import { isoOf } from '../mappers/dates.js'
import {
  appExists,
  createApp,
  isOrigin,
  listApps,
  renameApp,
  rotateSecret,
  setAllowedOrigins,
} from '../store/apps.js'
import { deleteVisitorData } from '../store/deletion.js'
import {
  type BotFilter,
  type Cursor,
  decodeCursor,
  encodeCursor,
  parseCidr,
  type SearchFilter,
  searchVisitors,
  visitCursor,
  visitorVisits,
} from '../store/event-search.js'
import type { Database } from '../store/schema.js'
import { createSealedKey, disableSealedKey, listSealedKeys, SEALED_FORMATS } from '../store/sealed-keys.js'
import { daySummaries, US_PER_DAY } from '../store/summaries.js'
import {
  countAdmins,
  deleteUser,
  deleteUserSessions,
  findUser,
  insertUser,
  isEmail,
  listUsers,
  setPassword,
} from '../store/users.js'
import { visitorSeen } from '../store/visits.js'
import {
  createWebhook,
  listDeliveries,
  listWebhooks,
  removeWebhook,
  rotateWebhookSecret,
  WEBHOOK_FORMATS,
  type Webhook,
} from '../store/webhooks.js'
import { randomAlnum } from '../util/random.js'
import { parseWebhookUrl, privateAddressOf } from '../webhooks/target.js'
import type { AppInfo, Overview, UserInfo, VisitorDetail, VisitorList, WebhookInfo } from './api-types.js'
import type { Auth, Session } from './auth.js'
import { hashPassword, MAX_PASSWORD_LENGTH, passwordProblem } from './passwords.js'

declare module 'fastify' {
  interface FastifyRequest {
    dashboardSession?: Session
  }
}

const bad = (message: string) => new HttpError(400, 'BadRequest', message)
const notFound = (what: string) => new HttpError(404, 'NotFound', `${what} not found`)
const DAY = /^\d{4}-\d{2}-\d{2}$/

function dayNumber(s: string | undefined, name: string): number | undefined {
  if (s === undefined || s === '') return undefined
  const ms = DAY.test(s) ? Date.parse(`${s}T00:00:00Z`) : Number.NaN
  if (Number.isNaN(ms)) throw bad(`${name} must be a date like 2026-12-01`)
  return Math.floor(ms / 86_400_000)
}
const dayText = (day: number) => new Date(day * 86_400_000).toISOString().slice(0, 10)

function origins(v: unknown): string[] | null {
  if (v === null) return null
  const list = (v as string[]).map((o) => o.trim()).filter(Boolean)
  for (const o of list) if (!isOrigin(o)) throw bad(`${o} is not an origin like https://shop.example`)
  return list
}

function webhookUrl(text: string): URL {
  const url = parseWebhookUrl(text)
  if (!(url instanceof URL)) throw bad(url.problem)
  return url
}

const toAppInfo = (a: Awaited<ReturnType<typeof listApps>>[number]): AppInfo => ({
  id: a.id,
  name: a.name,
  publicKey: a.publicKey,
  allowedOrigins: a.allowedOrigins,
  createdAt: a.createdAt,
})

const toUserInfo = (u: {
  id: string
  email: string
  role: 'admin' | 'viewer'
  createdAt: number
}): UserInfo => ({
  ...u,
  createdAt: new Date(u.createdAt).toISOString(),
})

const str = (maxLength: number, extra: object = {}) => ({ type: 'string', maxLength, ...extra }) as const
const params = (...names: string[]) => ({
  type: 'object',
  required: names,
  properties: Object.fromEntries(names.map((n) => [n, str(200, { minLength: 1 })])),
})
const ORIGINS = {
  anyOf: [{ type: 'null' }, { type: 'array', maxItems: 100, items: str(300) }],
}

/** The visitor search's `q`: an address or range, else a visitor id if the app has it, else a linked id. */
async function searchFilter(
  db: Kysely<Database>,
  appId: string,
  q: string,
  field: string,
): Promise<{ filter: SearchFilter; as: VisitorList['searchedAs'] }> {
  if (q === '') return { filter: {}, as: null }
  const cidr = parseCidr(isIP(q) ? `${q}/${isIP(q) === 4 ? 32 : 128}` : q)
  if (field === 'ip' || (field === 'auto' && cidr)) {
    if (!cidr) throw bad(`${q} is not an IP address or CIDR range`)
    return { filter: { ip: cidr }, as: 'ip' }
  }
  if (field === 'visitorId' || (field === 'auto' && (await visitorSeen(db, appId, q))))
    return { filter: { visitorId: q }, as: 'visitorId' }
  return { filter: { linkedId: q }, as: 'linkedId' }
}

const VISITORS_PER_PAGE = 50
const VISITS_SCANNED = 5000

export async function dashboardApi(app: FastifyInstance, opts: { db: Kysely<Database>; auth: Auth }) {
  const { db, auth } = opts
  const session = (req: FastifyRequest) => req.dashboardSession!
  const appOf = async (req: FastifyRequest<{ Params: { appId: string } }>) => {
    if (!(await appExists(db, req.params.appId))) throw notFound('app')
    return req.params.appId
  }

  app.get('/me', async (req) => ({ email: session(req).user.email, role: session(req).user.role }))

  app.post('/sign-out', async (req) => {
    await auth.signOut(session(req))
    return { ok: true }
  })
  app.post('/sign-out-everywhere', async (req) => {
    await deleteUserSessions(db, session(req).user.id)
    return { ok: true }
  })

  app.get('/apps', async () => (await listApps(db)).map(toAppInfo))

  app.get<{ Params: { appId: string }; Querystring: { from?: string; to?: string } }>(
    '/apps/:appId/overview',
    {
      schema: {
        params: params('appId'),
        querystring: { type: 'object', properties: { from: str(10), to: str(10) } },
      },
    },
    async (req): Promise<Overview> => {
      const appId = await appOf(req)
      const nowUs = Date.now() * 1000
      const today = Math.floor(nowUs / US_PER_DAY)
      const to = Math.min(dayNumber(req.query.to, 'to') ?? today, today)
      const from = dayNumber(req.query.from, 'from') ?? to - 29
      if (from > to) throw bad('from must not be after to')
      if (to - from > 366) throw bad('the range is at most 367 days')
      const sums = await daySummaries(db, appId, from, to, nowUs)
      const list = [...sums.values()]
      const days: Overview['days'] = []
      for (let day = from; day <= to; day++) {
        const s = sums.get(day)
        const p = s?.paths ?? {}
        const storedId = p.storedId ?? 0
        const isNew = p.new ?? 0
        days.push({
          day: dayText(day),
          visits: s?.visits ?? 0,
          visitors: s?.visitors ?? 0,
          bots: s?.bots ?? 0,
          storedId,
          new: isNew,
          fingerprint: (s?.visits ?? 0) - storedId - isNew,
        })
      }
      const visits = list.reduce((n, s) => n + s.visits, 0)
      const bots = list.reduce((n, s) => n + s.bots, 0)
      return {
        from: dayText(from),
        to: dayText(to),
        days,
        totals: {
          visits,
          bots,
          goodBots: list.reduce((n, s) => n + s.goodBots, 0),
          botShare: visits ? bots / visits : 0,
        },
        countries: topCounts(list, (s) => s.countries, countryName, 250),
        browsers: topCounts(list, (s) => s.browsers),
        os: topCounts(list, (s) => s.os),
      }
    },
  )

  app.get<{
    Params: { appId: string }
    Querystring: { q?: string; field?: string; from?: string; to?: string; bot?: string; cursor?: string }
  }>(
    '/apps/:appId/visitors',
    {
      schema: {
        params: params('appId'),
        querystring: {
          type: 'object',
          properties: {
            q: str(200),
            field: { type: 'string', enum: ['auto', 'visitorId', 'linkedId', 'ip'] },
            from: str(10),
            to: str(10),
            bot: { type: 'string', enum: ['all', 'bad', 'good', 'none', ''] },
            cursor: str(100),
          },
        },
      },
    },
    async (req): Promise<VisitorList> => {
      const appId = await appOf(req)
      const q = req.query.q?.trim() ?? ''
      const { filter, as } = await searchFilter(db, appId, q, req.query.field ?? 'auto')
      const from = dayNumber(req.query.from, 'from')
      const to = dayNumber(req.query.to, 'to')
      if (from !== undefined) filter.start = from * US_PER_DAY
      if (to !== undefined) filter.end = (to + 1) * US_PER_DAY
      if (req.query.bot && req.query.bot !== '') filter.bot = req.query.bot as BotFilter
      let cursor: Cursor | undefined
      if (req.query.cursor) {
        cursor = decodeCursor(req.query.cursor) ?? undefined
        if (!cursor) throw bad('cursor is not one this API gave')
      }
      // Newest matching visit first, one row per visitor; a page reads a bounded number of visits.
      const wanted = filter.visitorId !== undefined ? 1 : VISITORS_PER_PAGE
      const page = await searchVisitors(db, appId, filter, wanted, cursor, VISITS_SCANNED)
      const more = page.next !== undefined && filter.visitorId === undefined
      return {
        visitors: page.rows.map(toVisitorRow),
        searchedAs: as,
        ...(more && page.next ? { next: encodeCursor(page.next) } : {}),
      }
    },
  )

  app.get<{ Params: { appId: string; visitorId: string }; Querystring: { cursor?: string } }>(
    '/apps/:appId/visitors/:visitorId',
    {
      schema: {
        params: params('appId', 'visitorId'),
        querystring: { type: 'object', properties: { cursor: str(100) } },
      },
    },
    async (req): Promise<VisitorDetail> => {
      const appId = await appOf(req)
      const after = req.query.cursor ? decodeCursor(req.query.cursor) : undefined
      if (after === null) throw bad('cursor is not one this API gave')
      const page = await visitorVisits(db, appId, req.params.visitorId, { limit: 50, after })
      const seen = await visitorSeen(db, appId, req.params.visitorId)
      if (!page || !seen) throw notFound('visitor')
      const last = page.visits.at(-1)?.row
      return {
        visitorId: req.params.visitorId,
        firstSeen: isoOf(Number(seen.first_seen_at)),
        lastSeen: isoOf(Number(seen.last_seen_at)),
        visits: page.visits.map((v) => toVisitSummary(v.row)),
        // Those of the visits on this page: a visitor's whole history can be long.
        linkedIds: [
          ...new Set(page.visits.flatMap((v) => (v.row.linked_id === null ? [] : [v.row.linked_id]))),
        ].sort(),
        ...(page.more && last ? { next: encodeCursor(visitCursor(last)) } : {}),
      }
    },
  )

  app.get<{ Params: { appId: string; requestId: string } }>(
    '/apps/:appId/visits/:requestId',
    { schema: { params: params('appId', 'requestId') } },
    async (req) => {
      const appId = await appOf(req)
      const event = await loadEvent(db, appId, req.params.requestId)
      if (!event) throw notFound('visit')
      const { row } = event
      const raw = rawVisit(row)
      return {
        visitorId: row.visitor_id,
        visit: toVisitSummary(row),
        components: raw.components,
        v3: toV3Event(event),
        v4: toV4Event(event),
        raw,
      }
    },
  )

  app.get<{ Params: { appId: string } }>(
    '/apps/:appId/webhooks',
    { schema: { params: params('appId') } },
    async (req): Promise<WebhookInfo[]> => {
      const appId = await appOf(req)
      const hooks = await listWebhooks(db, { appId })
      return Promise.all(
        hooks.map(async (h) => webhookInfo(h, await listDeliveries(db, { webhookId: h.id, limit: 20 }))),
      )
    },
  )

  app.get<{ Params: { appId: string } }>(
    '/apps/:appId/sealed-keys',
    { schema: { params: params('appId') } },
    async (req) => {
      const appId = await appOf(req)
      return (await listSealedKeys(db, appId)).map((k) => ({
        id: k.id,
        format: k.format,
        active: k.active,
        createdAt: k.createdAt,
      }))
    },
  )

  app.get('/users', async () => (await listUsers(db)).map(toUserInfo))

  // ---- writes: admins only (the plugin's hook checks the role and the CSRF token) -----------

  app.post<{ Body: { name: string; allowedOrigins?: string[] | null } }>(
    '/apps',
    {
      schema: {
        body: {
          type: 'object',
          required: ['name'],
          additionalProperties: false,
          properties: { name: str(100, { minLength: 1 }), allowedOrigins: ORIGINS },
        },
      },
    },
    async (req, reply) => {
      const name = req.body.name.trim()
      if (!name) throw bad('the name must not be empty')
      const created = await createApp(db, {
        name,
        allowedOrigins: req.body.allowedOrigins === undefined ? null : origins(req.body.allowedOrigins),
      })
      const info = (await listApps(db)).find((a) => a.id === created.id)!
      return reply.code(201).send({ ...toAppInfo(info), secretKey: created.secretKey })
    },
  )

  app.patch<{ Params: { appId: string }; Body: { name?: string; allowedOrigins?: string[] | null } }>(
    '/apps/:appId',
    {
      schema: {
        params: params('appId'),
        body: {
          type: 'object',
          additionalProperties: false,
          properties: { name: str(100, { minLength: 1 }), allowedOrigins: ORIGINS },
        },
      },
    },
    async (req) => {
      const appId = await appOf(req)
      if (req.body.name !== undefined) {
        const name = req.body.name.trim()
        if (!name) throw bad('the name must not be empty')
        await renameApp(db, appId, name)
      }
      if (req.body.allowedOrigins !== undefined)
        await setAllowedOrigins(db, appId, origins(req.body.allowedOrigins))
      return toAppInfo((await listApps(db)).find((a) => a.id === appId)!)
    },
  )

  app.post<{ Params: { appId: string } }>(
    '/apps/:appId/rotate-secret',
    { schema: { params: params('appId') } },
    async (req) => {
      const secretKey = await rotateSecret(db, await appOf(req))
      if (!secretKey) throw notFound('app')
      return { secretKey }
    },
  )

  app.post<{ Params: { appId: string }; Body: { format?: 'v3' | 'v4' } }>(
    '/apps/:appId/sealed-keys',
    {
      schema: {
        params: params('appId'),
        body: {
          type: 'object',
          additionalProperties: false,
          properties: { format: { type: 'string', enum: [...SEALED_FORMATS] } },
        },
      },
    },
    async (req, reply) => {
      const created = await createSealedKey(db, await appOf(req), req.body.format ?? 'v4')
      if (!created) throw notFound('app')
      return reply.code(201).send(created)
    },
  )

  app.post<{ Params: { appId: string; id: string } }>(
    '/apps/:appId/sealed-keys/:id/disable',
    { schema: { params: params('appId', 'id') } },
    async (req) => {
      const appId = await appOf(req)
      const mine = (await listSealedKeys(db, appId)).some((k) => k.id === req.params.id)
      if (!mine || !(await disableSealedKey(db, req.params.id))) throw notFound('sealed key')
      return { ok: true }
    },
  )

  app.delete<{ Params: { appId: string; visitorId: string } }>(
    '/apps/:appId/visitors/:visitorId',
    { schema: { params: params('appId', 'visitorId') } },
    async (req) => {
      const deleted = await deleteVisitorData(db, await appOf(req), req.params.visitorId)
      if (!deleted) throw notFound('visitor')
      return { deleted }
    },
  )

  app.post<{
    Params: { appId: string }
    Body: { url: string; format?: 'v4' | 'v3'; allowPrivate?: boolean }
  }>(
    '/apps/:appId/webhooks',
    {
      schema: {
        params: params('appId'),
        body: {
          type: 'object',
          required: ['url'],
          additionalProperties: false,
          properties: {
            url: str(2048, { minLength: 1 }),
            format: { type: 'string', enum: [...WEBHOOK_FORMATS] },
            allowPrivate: { type: 'boolean' },
          },
        },
      },
    },
    async (req, reply) => {
      const appId = await appOf(req)
      const url = webhookUrl(req.body.url)
      const allowPrivate = req.body.allowPrivate === true
      const address = allowPrivate ? null : await privateAddressOf(url)
      if (address !== null && address !== 'unresolved')
        throw bad(
          `${url.hostname} is or resolves to ${address}, not a public address; tick "allow private addresses" to send events there`,
        )
      const hook = await createWebhook(db, {
        appId,
        url: url.href,
        format: req.body.format ?? 'v4',
        allowPrivate,
      })
      if (!hook) throw notFound('app')
      return reply.code(201).send({ ...webhookInfo(hook, []), secret: hook.secret })
    },
  )

  const hookOf = async (appId: string, id: string) => {
    const hook = (await listWebhooks(db, { appId })).find((h) => h.id === id)
    if (!hook) throw notFound('webhook')
    return hook
  }

  app.delete<{ Params: { appId: string; id: string } }>(
    '/apps/:appId/webhooks/:id',
    { schema: { params: params('appId', 'id') } },
    async (req) => {
      const hook = await hookOf(await appOf(req), req.params.id)
      await removeWebhook(db, hook.id)
      return { ok: true }
    },
  )

  app.post<{ Params: { appId: string; id: string } }>(
    '/apps/:appId/webhooks/:id/rotate-secret',
    { schema: { params: params('appId', 'id') } },
    async (req) => {
      const hook = await hookOf(await appOf(req), req.params.id)
      const secret = await rotateWebhookSecret(db, hook.id)
      if (!secret)
        throw new HttpError(409, 'Conflict', 'the secret was rotated at the same moment; try again')
      return { secret }
    },
  )

  app.post<{ Body: { email: string; password: string; role: 'admin' | 'viewer' } }>(
    '/users',
    {
      schema: {
        body: {
          type: 'object',
          required: ['email', 'password', 'role'],
          additionalProperties: false,
          properties: {
            email: str(254, { minLength: 3 }),
            password: str(MAX_PASSWORD_LENGTH),
            role: { type: 'string', enum: ['admin', 'viewer'] },
          },
        },
      },
    },
    async (req, reply) => {
      const email = req.body.email.trim()
      if (!isEmail(email)) throw bad(`${email} is not an email address`)
      const problem = passwordProblem(req.body.password)
      if (problem) throw bad(problem)
      const user = await insertUser(db, {
        id: `user_${randomAlnum(16)}`,
        email,
        passwordHash: await hashPassword(req.body.password),
        role: req.body.role,
        createdAt: Date.now(),
      })
      if (!user) throw new HttpError(409, 'Conflict', `a user with email ${email} already exists`)
      return reply.code(201).send(toUserInfo(user))
    },
  )

  app.delete<{ Params: { id: string } }>('/users/:id', { schema: { params: params('id') } }, async (req) => {
    const user = await findUser(db, req.params.id)
    if (!user || user.id !== req.params.id) throw notFound('user')
    if (user.role === 'admin' && (await countAdmins(db)) <= 1)
      throw new HttpError(409, 'Conflict', 'this is the only admin: add another admin first')
    await deleteUser(db, user.id)
    return { ok: true }
  })

  app.post<{ Params: { id: string }; Body: { password: string } }>(
    '/users/:id/password',
    {
      schema: {
        params: params('id'),
        body: {
          type: 'object',
          required: ['password'],
          additionalProperties: false,
          properties: { password: str(MAX_PASSWORD_LENGTH) },
        },
      },
    },
    async (req) => {
      const problem = passwordProblem(req.body.password)
      if (problem) throw bad(problem)
      if (!(await setPassword(db, req.params.id, await hashPassword(req.body.password))))
        throw notFound('user')
      return { ok: true }
    },
  )
}

function webhookInfo(h: Webhook, deliveries: Awaited<ReturnType<typeof listDeliveries>>): WebhookInfo {
  return {
    id: h.id,
    url: h.url,
    format: h.format,
    allowPrivate: h.allowPrivate,
    createdAt: h.createdAt,
    deliveries: deliveries.map((d) => ({
      eventId: d.eventId,
      status: d.status,
      attempts: d.attempts,
      lastStatus: d.lastStatus,
      lastError: d.lastError,
      nextAttemptAt: d.nextAttemptAt,
      deliveredAt: d.deliveredAt,
      createdAt: d.createdAt,
    })),
  }
}
