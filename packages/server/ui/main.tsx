import { render } from 'preact'
import { useEffect, useMemo } from 'preact/hooks'
import type { AppInfo, Me } from '../src/dashboard/api-types.js'
import { api, clearOldNotice, enc, useApi, useNotice } from './api.js'
import { Loading, Page, type Session, SessionContext } from './components/common.js'
import { OverviewPage } from './pages/Overview.js'
import { SettingsPage } from './pages/Settings.js'
import { VisitPage } from './pages/Visit.js'
import { VisitorPage } from './pages/Visitor.js'
import { VisitorsPage } from './pages/Visitors.js'
import { Link, type Loc, navigate, useLocation } from './router.js'
import './style.css'

const BASE = '/dashboard'
const LAST_APP = 'sightline.dashboard.app'

type Route =
  | { page: 'home' }
  | { page: 'overview'; appId: string }
  | { page: 'visitors'; appId: string }
  | { page: 'visitor'; appId: string; visitorId: string }
  | { page: 'visit'; appId: string; requestId: string }
  | { page: 'settings' }
  | { page: 'missing' }

function match(path: string): Route {
  if (path === BASE) return { page: 'home' }
  if (path === `${BASE}/settings`) return { page: 'settings' }
  const m = /^\/dashboard\/apps\/([^/]+)(?:\/(visitors|visits)(?:\/([^/]+))?)?$/.exec(path)
  if (!m) return { page: 'missing' }
  const appId = decodeURIComponent(m[1]!)
  const id = m[3] && decodeURIComponent(m[3])
  if (!m[2]) return { page: 'overview', appId }
  if (m[2] === 'visitors') return id ? { page: 'visitor', appId, visitorId: id } : { page: 'visitors', appId }
  return id ? { page: 'visit', appId, requestId: id } : { page: 'missing' }
}

function currentApp(route: Route, loc: Loc, apps: AppInfo[]): AppInfo | undefined {
  const wanted =
    'appId' in route
      ? route.appId
      : (loc.query.get('app') ??
        (() => {
          try {
            return localStorage.getItem(LAST_APP)
          } catch {
            return null
          }
        })())
  return apps.find((a) => a.id === wanted) ?? ('appId' in route ? undefined : apps[0])
}

async function signOut(everywhere: boolean) {
  try {
    await api('POST', everywhere ? '/sign-out-everywhere' : '/sign-out', {})
  } catch {
    // already signed out, or the server is gone: the sign-in page says which
  }
  location.assign(`${BASE}/sign-in`)
}

function Header({ me, apps, app, route }: { me: Me; apps: AppInfo[]; app?: AppInfo; route: Route }) {
  const appBase = app ? `${BASE}/apps/${enc(app.id)}` : null
  const here = (p: Route['page'][]) => (p.includes(route.page) ? 'page' : undefined)
  const switchTo = (id: string) => {
    const b = `${BASE}/apps/${enc(id)}`
    if (route.page === 'visitors' || route.page === 'visitor') navigate(`${b}/visitors`)
    else if (route.page === 'settings') navigate(`${BASE}/settings?app=${enc(id)}`)
    else navigate(b)
  }
  return (
    <header class="top">
      <a class="skip" href="#main">
        Skip to content
      </a>
      <Link class="brand" href={BASE}>
        Sightline
      </Link>
      {apps.length > 0 && (
        <div class="field switch">
          <label htmlFor="app-switch">App</label>
          <select id="app-switch" value={app?.id ?? ''} onChange={(e) => switchTo(e.currentTarget.value)}>
            {!app && <option value="">Choose an app</option>}
            {apps.map((a) => (
              <option key={a.id} value={a.id}>
                {a.name}
              </option>
            ))}
          </select>
        </div>
      )}
      <nav aria-label="Dashboard">
        <ul>
          {appBase && (
            <>
              <li>
                <Link href={appBase} aria-current={here(['overview'])}>
                  Overview
                </Link>
              </li>
              <li>
                <Link href={`${appBase}/visitors`} aria-current={here(['visitors'])}>
                  Visitors
                </Link>
              </li>
            </>
          )}
          <li>
            <Link href={`${BASE}/settings`} aria-current={here(['settings'])}>
              Settings
            </Link>
          </li>
        </ul>
      </nav>
      <div class="user">
        <span class="email" title={`Signed in as ${me.email} (${me.role})`}>
          {me.email}
        </span>
        <button type="button" class="secondary" onClick={() => signOut(false)}>
          Sign out
        </button>
        <button type="button" class="secondary" onClick={() => signOut(true)}>
          Sign out everywhere
        </button>
      </div>
    </header>
  )
}

function Notice() {
  const n = useNotice()
  return (
    <div class={`notice ${n ? n.kind : ''}`} role="status" aria-live="polite">
      {n?.text}
    </div>
  )
}

function App() {
  const loc = useLocation()
  const me = useApi<Me>('/me')
  const apps = useApi<AppInfo[]>('/apps')
  const route = match(loc.path)
  const list = useMemo(() => apps.data ?? [], [apps.data])
  const app = currentApp(route, loc, list)

  useEffect(() => {
    if (route.page !== 'home' || !apps.data) return
    const first = currentApp(route, loc, apps.data)
    navigate(first ? `${BASE}/apps/${enc(first.id)}` : `${BASE}/settings`, true)
  }, [route.page, apps.data, loc])
  // Each navigation clears old messages.
  const href = loc.href
  useEffect(() => {
    if (href) clearOldNotice()
  }, [href])
  useEffect(() => {
    if (app)
      try {
        localStorage.setItem(LAST_APP, app.id)
      } catch {
        // private mode
      }
  }, [app])

  const session = useMemo<Session | null>(
    () =>
      me.data
        ? { me: me.data, apps: list, reloadApps: apps.reload, readOnly: me.data.role !== 'admin' }
        : null,
    [me.data, list, apps.reload],
  )
  if (!session || !apps.data) {
    return (
      <main id="main">
        <Notice />
        {me.error || apps.error ? (
          <Page title="Dashboard unavailable">
            <p>The dashboard could not load: {(me.error ?? apps.error)?.message}</p>
          </Page>
        ) : (
          <Loading what="the dashboard" />
        )}
      </main>
    )
  }
  let page = null
  switch (route.page) {
    case 'home':
      page = <Loading />
      break
    case 'settings':
      page = <SettingsPage app={app} />
      break
    case 'missing':
      page = (
        <Page title="Page not found">
          <p>
            There is no such page. <Link href={BASE}>Go to the dashboard</Link>.
          </p>
        </Page>
      )
      break
    default:
      if (!app)
        page = (
          <Page title="App not found">
            <p>
              There is no app with this id. <Link href={`${BASE}/settings`}>See the apps in Settings</Link>.
            </p>
          </Page>
        )
      else if (route.page === 'overview') page = <OverviewPage app={app} loc={loc} />
      else if (route.page === 'visitors') page = <VisitorsPage app={app} loc={loc} />
      else if (route.page === 'visitor') page = <VisitorPage app={app} visitorId={route.visitorId} />
      else page = <VisitPage app={app} requestId={route.requestId} />
  }
  return (
    <SessionContext.Provider value={session}>
      <Header me={session.me} apps={list} app={app} route={route} />
      <main id="main">
        <Notice />
        {page}
      </main>
    </SessionContext.Provider>
  )
}

render(<App />, document.getElementById('app')!)
