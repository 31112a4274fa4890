import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { hashPassword } from '../src/dashboard/passwords.js'
import { insertUser } from '../src/store/users.js'
import { components, DIALECTS, dialectName, post, startServer, type TestServer } from './helpers.js'

const PASSWORD = 'correct horse battery'

/** A cookie jar of one: signs in through the form as a browser would and keeps the session. */
class Client {
  cookies = new Map<string, string>()
  csrf = ''
  constructor(readonly base: string) {}

  get cookieHeader() {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ')
  }

  keep(res: Response) {
    for (const c of res.headers.getSetCookie()) {
      const [pair = ''] = c.split(';')
      const eq = pair.indexOf('=')
      const value = pair.slice(eq + 1)
      if (/Max-Age=0/.test(c) || value === '') this.cookies.delete(pair.slice(0, eq))
      else this.cookies.set(pair.slice(0, eq), value)
    }
    return res
  }

  async fetch(path: string, init: RequestInit & { headers?: Record<string, string> } = {}) {
    return this.keep(
      await fetch(`${this.base}${path}`, {
        redirect: 'manual',
        ...init,
        headers: { cookie: this.cookieHeader, ...init.headers },
      }),
    )
  }

  async signIn(email: string, password: string, extra: Record<string, string> = {}) {
    const form = await (await this.fetch('/dashboard/sign-in')).text()
    const token = /name="csrf" value="([^"]+)"/.exec(form)?.[1]
    assert.ok(token, 'the sign-in form carries a CSRF token')
    const res = await this.fetch('/dashboard/sign-in', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: this.base, ...extra },
      body: new URLSearchParams({ csrf: token, email, password, next: '/dashboard' }).toString(),
    })
    if (res.status === 303) {
      const shell = await (await this.fetch('/dashboard')).text()
      this.csrf = /name="csrf-token" content="([^"]+)"/.exec(shell)?.[1] ?? ''
    }
    return res
  }

  json(path: string, method = 'GET', body?: unknown, headers: Record<string, string> = {}) {
    return this.fetch(`/dashboard/api${path}`, {
      method,
      headers: {
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(method === 'GET' ? {} : { 'x-csrf-token': this.csrf, origin: this.base }),
        ...headers,
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    })
  }
}

for (const dialect of DIALECTS) {
  describe(`dashboard API and sessions (${dialectName(dialect)})`, () => {
    let s: TestServer
    before(async () => {
      s = await startServer({ trustProxy: true }, {}, { dialect })
      const passwordHash = await hashPassword(PASSWORD)
      for (const [email, role] of [
        ['admin@example.com', 'admin'],
        ['viewer@example.com', 'viewer'],
        ['limited@example.com', 'viewer'],
      ] as const)
        await insertUser(s.sl.db.kysely, {
          id: `user_${role}_${email[0]}`,
          email,
          passwordHash,
          role,
          createdAt: Date.now(),
        })
    })
    after(() => s?.close())

    it('sends a browser without a session to sign-in, and answers its JSON with 401', async () => {
      const c = new Client(s.url)
      const page = await c.fetch('/dashboard/apps/x/visitors?q=1')
      assert.equal(page.status, 303)
      assert.equal(
        page.headers.get('location'),
        `/dashboard/sign-in?next=${encodeURIComponent('/dashboard/apps/x/visitors?q=1')}`,
      )
      const api = await c.json('/apps')
      assert.equal(api.status, 401)
      assert.equal(((await api.json()) as any).error.code, 'SessionRequired')
    })

    it("never accepts an app's keys, only the session", async () => {
      for (const headers of <Record<string, string>[]>[
        { 'auth-api-key': s.secretKey },
        { authorization: `Bearer ${s.secretKey}` },
        { auth: s.secretKey },
      ]) {
        const res = await fetch(`${s.url}/dashboard/api/apps`, { headers })
        assert.equal(res.status, 401, JSON.stringify(Object.keys(headers)))
      }
    })

    it('refuses wrong credentials with one clear message, and signs in with the right ones', async () => {
      const c = new Client(s.url)
      for (const [email, password] of [
        ['admin@example.com', 'wrong password!'],
        ['nobody@example.com', PASSWORD],
      ]) {
        const res = await c.signIn(email!, password!)
        assert.equal(res.status, 401)
        const html = await res.text()
        assert.match(html, /role="alert">Wrong email or password\.</)
        assert.equal(c.cookies.has('sightline_session'), false, 'no session after a failed sign-in')
      }
      const ok = await c.signIn('ADMIN@example.com', PASSWORD)
      assert.equal(ok.status, 303)
      assert.equal(ok.headers.get('location'), '/dashboard')
      const cookie = ok.headers.getSetCookie().find((h) => h.startsWith('sightline_session='))
      assert.ok(cookie, 'a session cookie is set')
      assert.match(cookie, /; HttpOnly/)
      assert.match(cookie, /; SameSite=Strict/)
      assert.match(cookie, /; Path=\/dashboard/)
      assert.doesNotMatch(cookie, /Secure/, 'plain http: the cookie cannot be Secure')
      const me = await c.json('/me')
      assert.deepEqual(await me.json(), { email: 'admin@example.com', role: 'admin' })
    })

    it('marks the cookie Secure when the request came over TLS through a trusted proxy', async () => {
      const c = new Client(s.url)
      const res = await c.signIn('admin@example.com', PASSWORD, {
        'x-forwarded-proto': 'https',
        origin: s.url.replace('http:', 'https:'),
      })
      assert.equal(res.status, 303)
      const cookie = res.headers.getSetCookie().find((h) => h.startsWith('sightline_session='))
      assert.match(cookie ?? '', /; Secure/)
    })

    it('refuses a sign-in form posted from another origin or without its token', async () => {
      const c = new Client(s.url)
      await c.fetch('/dashboard/sign-in')
      const res = await c.fetch('/dashboard/sign-in', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'https://evil.example' },
        body: new URLSearchParams({ email: 'admin@example.com', password: PASSWORD }).toString(),
      })
      assert.equal(res.status, 403)
      assert.equal(c.cookies.has('sightline_session'), false)
    })

    it('needs the CSRF token and the same origin for every change', async () => {
      const c = new Client(s.url)
      await c.signIn('admin@example.com', PASSWORD)
      assert.ok(c.csrf.length > 20, 'the shell carries the CSRF token')
      const noToken = await c.json('/apps', 'POST', { name: 'No token' }, { 'x-csrf-token': '' })
      assert.equal(noToken.status, 403)
      assert.equal(((await noToken.json()) as any).error.code, 'CsrfRejected')
      const crossOrigin = await c.json('/apps', 'POST', { name: 'Cross' }, { origin: 'https://evil.example' })
      assert.equal(crossOrigin.status, 403)
      const crossSite = await c.json(
        '/apps',
        'POST',
        { name: 'Cross' },
        { origin: '', 'sec-fetch-site': 'cross-site' },
      )
      assert.equal(crossSite.status, 403)
      const apps = (await (await c.json('/apps')).json()) as any[]
      assert.deepEqual(
        apps.filter((a) => a.name === 'No token' || a.name === 'Cross'),
        [],
        'no refused request changed anything',
      )
      const made = await c.json('/apps', 'POST', { name: 'Shop', allowedOrigins: ['https://shop.example'] })
      assert.equal(made.status, 201)
      const app = (await made.json()) as any
      assert.match(app.secretKey, /^sk_/)
      assert.deepEqual(app.allowedOrigins, ['https://shop.example'])
      const renamed = await c.json(`/apps/${app.id}`, 'PATCH', { name: 'Shop EU', allowedOrigins: null })
      assert.equal(renamed.status, 200)
      assert.deepEqual(
        {
          name: ((await renamed.clone().json()) as any).name,
          origins: ((await renamed.json()) as any).allowedOrigins,
        },
        { name: 'Shop EU', origins: null },
      )
      const badOrigin = await c.json(`/apps/${app.id}`, 'PATCH', { allowedOrigins: ['shop.example'] })
      assert.equal(badOrigin.status, 400)
      assert.match(((await badOrigin.json()) as any).error.message, /not an origin/)
    })

    it('lets a viewer read and change nothing', async () => {
      const c = new Client(s.url)
      await c.signIn('viewer@example.com', PASSWORD)
      assert.equal((await c.json('/apps')).status, 200)
      assert.equal((await c.json(`/apps/${s.appId}/overview`)).status, 200)
      for (const [path, method, body] of [
        ['/apps', 'POST', { name: 'Nope' }],
        [`/apps/${s.appId}/rotate-secret`, 'POST', undefined],
        [`/apps/${s.appId}/webhooks`, 'POST', { url: 'https://hooks.example/x' }],
        ['/users', 'POST', { email: 'x@example.com', password: 'long enough pw', role: 'admin' }],
        [`/apps/${s.appId}/visitors/anyone`, 'DELETE', undefined],
      ] as const) {
        const res = await c.json(path, method, body)
        assert.equal(res.status, 403, `${method} ${path}`)
        assert.equal(((await res.json()) as any).error.code, 'ReadOnly')
      }
      assert.equal((await c.json('/sign-out', 'POST')).status, 200, 'a viewer may sign out')
    })

    it('ends idle and old sessions, and signs out here or everywhere', async () => {
      const db = s.sl.db.kysely
      const a = new Client(s.url)
      await a.signIn('admin@example.com', PASSWORD)
      const idle = s.sl.db.kysely
      await idle
        .updateTable('sessions')
        .set({ last_seen_at: Date.now() - 61 * 60_000 })
        .execute()
      const res = await a.fetch('/dashboard')
      assert.equal(res.status, 303)
      assert.match(res.headers.get('location') ?? '', /^\/dashboard\/sign-in\?next=%2Fdashboard&expired=1$/)
      const again = await a.fetch(res.headers.get('location')!)
      assert.match(await again.text(), /Your session has ended/)

      const b = new Client(s.url)
      await b.signIn('admin@example.com', PASSWORD)
      await db
        .updateTable('sessions')
        .set({ created_at: Date.now() - 13 * 3_600_000 })
        .execute()
      assert.equal((await b.json('/me')).status, 401, 'older than the absolute limit (12 h)')

      const c1 = new Client(s.url)
      const c2 = new Client(s.url)
      await c1.signIn('admin@example.com', PASSWORD)
      await c2.signIn('admin@example.com', PASSWORD)
      assert.equal((await c1.json('/sign-out', 'POST')).status, 200)
      assert.equal((await c1.json('/me')).status, 401)
      assert.equal((await c2.json('/me')).status, 200, 'signing out ends only that session')
      const c3 = new Client(s.url)
      await c3.signIn('admin@example.com', PASSWORD)
      assert.equal((await c3.json('/sign-out-everywhere', 'POST')).status, 200)
      assert.equal((await c2.json('/me')).status, 401)
      assert.equal((await c3.json('/me')).status, 401)
    })

    it('limits sign-in attempts per account', async () => {
      const c = new Client(s.url)
      const statuses: number[] = []
      for (let i = 0; i < 6; i++)
        statuses.push((await c.signIn('limited@example.com', 'wrong password!')).status)
      assert.deepEqual(statuses, [401, 401, 401, 401, 401, 429])
      const last = await c.signIn('limited@example.com', PASSWORD)
      assert.equal(last.status, 429, 'even the right password waits')
      assert.match(await last.text(), /Too many sign-in attempts\. Try again in \d+ seconds\./)
      assert.ok(Number(last.headers.get('retry-after')) > 0, 'retry-after is set')
    })

    it('shows visits in the overview and the visitor list, searches, and deletes a visitor', async () => {
      const c = new Client(s.url)
      await c.signIn('admin@example.com', PASSWORD)
      const visit = async (ip: string, linkedId: string, platform: string) => {
        const res = await post(
          s.url,
          {
            apiKey: s.publicKey,
            url: 'https://shop.example/',
            linkedId,
            components: components({ platform }),
          },
          { 'x-forwarded-for': ip },
        )
        assert.equal(res.status, 200, JSON.stringify(res.json))
        return res.json as { visitorId: string; requestId: string }
      }
      const london = await visit('81.2.69.142', 'acct-1', 'MacIntel')
      const sydney = await visit('1.1.1.1', 'acct-2', 'Win32')
      assert.notEqual(london.visitorId, sydney.visitorId)

      const overview = (await (await c.json(`/apps/${s.appId}/overview`)).json()) as any
      assert.equal(overview.totals.visits, 2)
      assert.equal(overview.days.at(-1).visits, 2)
      assert.equal(overview.days.at(-1).visitors, 2)
      assert.equal(overview.days.at(-1).new, 2)
      assert.equal(overview.days.length, 30)
      assert.deepEqual(overview.countries.map((x: any) => [x.key, x.name, x.visits]).sort(), [
        ['AU', 'Australia', 1],
        ['GB', 'United Kingdom', 1],
      ])

      const list = async (query: string) => {
        const res = await c.json(`/apps/${s.appId}/visitors${query}`)
        assert.equal(res.status, 200)
        return (await res.json()) as any
      }
      const all = await list('')
      assert.deepEqual(
        all.visitors.map((v: any) => v.visitorId),
        [sydney.visitorId, london.visitorId],
        'newest first',
      )
      for (const [q, as, expected] of [
        ['acct-1', 'linkedId', london.visitorId],
        ['81.2.69.142', 'ip', london.visitorId],
        ['1.1.0.0/16', 'ip', sydney.visitorId],
        [sydney.visitorId, 'visitorId', sydney.visitorId],
      ] as const) {
        const found = await list(`?q=${encodeURIComponent(q)}`)
        assert.equal(found.searchedAs, as, q)
        assert.deepEqual(
          found.visitors.map((v: any) => v.visitorId),
          [expected],
          q,
        )
      }
      assert.equal((await c.json(`/apps/${s.appId}/visitors?from=12-01-2026`)).status, 400)
      assert.equal((await c.json(`/apps/${s.appId}/visitors?cursor=nope!`)).status, 400)
      assert.equal((await c.json(`/apps/app_nope/visitors`)).status, 404)

      const detail = (await (await c.json(`/apps/${s.appId}/visitors/${london.visitorId}`)).json()) as any
      assert.equal(detail.visits.length, 1)
      assert.equal(detail.visits[0].place.city, 'London')
      assert.equal(detail.visits[0].identification.path, 'new')
      assert.match(
        detail.visits[0].identification.explanation[0],
        /^A new visitor: no valid stored identifier came back/,
      )
      assert.deepEqual(detail.linkedIds, ['acct-1'])
      const one = (await (await c.json(`/apps/${s.appId}/visits/${london.requestId}`)).json()) as any
      assert.equal(one.v4.event_id, london.requestId)
      assert.equal(one.v3.products.identification.data.visitorId, london.visitorId)
      assert.equal(typeof one.components.platform, 'object')

      const del = await c.json(`/apps/${s.appId}/visitors/${london.visitorId}`, 'DELETE')
      assert.equal(del.status, 200)
      assert.equal(((await del.json()) as any).deleted.visits, 1)
      assert.equal((await c.json(`/apps/${s.appId}/visitors/${london.visitorId}`)).status, 404)
      const after = (await (await c.json(`/apps/${s.appId}/overview`)).json()) as any
      assert.equal(after.totals.visits, 1, 'the overview forgets the deleted visits')
    })

    it('rotates a secret (the old one stops working) and manages webhooks and users', async () => {
      const c = new Client(s.url)
      await c.signIn('admin@example.com', PASSWORD)
      const rotated = await c.json(`/apps/${s.appId}/rotate-secret`, 'POST')
      const { secretKey } = (await rotated.json()) as any
      assert.notEqual(secretKey, s.secretKey)
      const v1 = (key: string) => fetch(`${s.url}/v1/visitors/someone`, { headers: { Auth: key } })
      assert.equal((await v1(s.secretKey)).status, 403)
      assert.notEqual((await v1(secretKey)).status, 403)

      const refused = await c.json(`/apps/${s.appId}/webhooks`, 'POST', { url: 'http://127.0.0.1:9/hook' })
      assert.equal(refused.status, 400)
      assert.match(((await refused.json()) as any).error.message, /not a public address/)
      const hook = (await (
        await c.json(`/apps/${s.appId}/webhooks`, 'POST', {
          url: 'http://127.0.0.1:9/hook',
          allowPrivate: true,
        })
      ).json()) as any
      assert.match(hook.secret, /^whsec_/)
      const hooks = (await (await c.json(`/apps/${s.appId}/webhooks`)).json()) as any[]
      assert.deepEqual(
        hooks.map((h) => h.id),
        [hook.id],
      )
      assert.match(
        ((await (await c.json(`/apps/${s.appId}/webhooks/${hook.id}/rotate-secret`, 'POST')).json()) as any)
          .secret,
        /^whsec_/,
      )
      assert.equal((await c.json(`/apps/${s.appId}/webhooks/${hook.id}`, 'DELETE')).status, 200)
      assert.equal((await c.json(`/apps/${s.appId}/webhooks/${hook.id}`, 'DELETE')).status, 404)

      const short = await c.json('/users', 'POST', {
        email: 'new@example.com',
        password: 'short',
        role: 'viewer',
      })
      assert.equal(short.status, 400)
      const made = (await (
        await c.json('/users', 'POST', {
          email: 'new@example.com',
          password: 'long enough pw',
          role: 'viewer',
        })
      ).json()) as any
      assert.equal(made.role, 'viewer')
      assert.equal(
        (
          await c.json('/users', 'POST', {
            email: 'NEW@example.com',
            password: 'long enough pw',
            role: 'viewer',
          })
        ).status,
        409,
      )
      const n = new Client(s.url)
      assert.equal((await n.signIn('new@example.com', 'long enough pw')).status, 303)
      assert.equal(
        (await c.json(`/users/${made.id}/password`, 'POST', { password: 'another long pw' })).status,
        200,
      )
      assert.equal((await n.json('/me')).status, 401, 'a reset password ends the sessions')
      assert.equal((await c.json(`/users/${made.id}`, 'DELETE')).status, 200)
      const selfDelete = await c.json('/users/user_admin_a', 'DELETE')
      assert.equal(selfDelete.status, 409, 'the only admin stays')
    })

    it('answers hostile input with 4xx and a JSON message, never a 5xx', async () => {
      const c = new Client(s.url)
      await c.signIn('admin@example.com', PASSWORD)
      const cases: [string, string, unknown][] = [
        ['/apps', 'POST', { name: '' }],
        ['/apps', 'POST', { name: 'x'.repeat(500) }],
        [`/apps/${s.appId}/overview?from=2026-13-45`, 'GET', undefined],
        [`/apps/${s.appId}/overview?from=2020-01-01&to=2026-01-01`, 'GET', undefined],
        [`/apps/${s.appId}/visitors?q=${'a'.repeat(300)}`, 'GET', undefined],
        [`/apps/${s.appId}/visitors?field=ip&q=not-an-ip`, 'GET', undefined],
        [`/apps/${s.appId}/webhooks`, 'POST', { url: 'ftp://x' }],
        [`/apps/${s.appId}/webhooks`, 'POST', { url: 'https://user:pw@x.example/' }],
        ['/users', 'POST', { email: 'not an email', password: 'long enough pw', role: 'admin' }],
        ['/users', 'POST', { email: 'a@b', password: 'long enough pw', role: 'root' }],
      ]
      for (const [path, method, body] of cases) {
        const res = await c.json(path, method, body)
        assert.ok(res.status >= 400 && res.status < 500, `${method} ${path} → ${res.status}`)
        assert.equal(typeof ((await res.json()) as any).error.message, 'string')
      }
      const garbage = await c.fetch('/dashboard/api/apps', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-csrf-token': c.csrf, origin: s.url },
        body: '{"name":',
      })
      assert.equal(garbage.status, 400)
    })
  })
}
