/**
 * The dashboard's JSON API (dashboard/api.ts), shared with its browser code (ui/). Times are ISO
 * 8601 strings in UTC; every route is under /dashboard/api and needs a session cookie; every
 * POST/PATCH/DELETE also needs the header `x-csrf-token` (the shell's <meta name="csrf-token">).
 * Errors: `{error: {code, message}}` with 400, 401 (no session: go to /dashboard/sign-in), 403
 * (a viewer, or a bad CSRF token), 404, 429.
 */

export type Role = 'admin' | 'viewer'

/** GET /dashboard/api/me */
export interface Me {
  email: string
  role: Role
}

/** GET /dashboard/api/apps */
export interface AppInfo {
  id: string
  name: string
  publicKey: string
  /** null: any origin; []: only this server's own pages. */
  allowedOrigins: string[] | null
  createdAt: string
}

export interface Count {
  /** An ISO country code, a browser or OS name, or an identification path; '' when unknown. */
  key: string
  /** A readable name (the country's name for countries). */
  name: string
  visits: number
}

/** GET /dashboard/api/apps/:appId/overview?from=YYYY-MM-DD&to=YYYY-MM-DD (UTC days, both included; default the last 30) */
export interface Overview {
  from: string
  to: string
  days: {
    day: string
    visits: number
    /** distinct visitors that day */
    visitors: number
    /** visits judged bad bots */
    bots: number
    /** visits by identification path: storedId (stored identifier), fingerprint (exact or fuzzy), new */
    storedId: number
    fingerprint: number
    new: number
  }[]
  totals: { visits: number; bots: number; goodBots: number; botShare: number }
  countries: Count[]
  browsers: Count[]
  os: Count[]
}

/** Query of GET /dashboard/api/apps/:appId/visitors */
export interface VisitorQuery {
  /** A visitor id, a linked id, an IP address or a CIDR range. */
  q?: string
  /** 'auto' (default) guesses from q. */
  field?: 'auto' | 'visitorId' | 'linkedId' | 'ip'
  from?: string
  to?: string
  bot?: 'all' | 'bad' | 'good' | 'none'
  cursor?: string
}

export interface Place {
  city: string | null
  country: string | null
  countryCode: string | null
  latitude: number | null
  longitude: number | null
}

export interface VisitorRow {
  visitorId: string
  /** Its newest visit matching the query. */
  lastSeen: string
  requestId: string
  ip: string
  place: Place
  browser: string | null
  os: string | null
  bot: 'notDetected' | 'good' | 'bad'
  linkedId: string | null
}

/** GET /dashboard/api/apps/:appId/visitors */
export interface VisitorList {
  visitors: VisitorRow[]
  /** What q was searched as. */
  searchedAs: 'visitorId' | 'linkedId' | 'ip' | null
  /** Pass as cursor for the next page; absent on the last page. */
  next?: string
}

export interface Candidate {
  visitorId: string
  probability: number
  reasons: string[]
}

export interface VisitSummary {
  requestId: string
  time: string
  url: string
  ip: string
  place: Place
  network: string | null
  browser: string | null
  os: string | null
  device: string | null
  incognito: boolean
  bot: { result: 'notDetected' | 'good' | 'bad'; probability: number; reasons: string[] }
  linkedId: string | null
  tag: unknown
  identification: {
    /** storedId | fingerprint | fuzzy | new */
    path: string
    confidence: number | null
    /** Plain words: why this visit is this visitor. */
    explanation: string[]
    matched: string[]
    differed: { component: string; why: string }[]
    candidates: Candidate[]
  }
}

/** GET /dashboard/api/apps/:appId/visitors/:visitorId?cursor= */
export interface VisitorDetail {
  visitorId: string
  firstSeen: string
  lastSeen: string
  visits: VisitSummary[]
  /** The linked ids of the visits on this page. */
  linkedIds: string[]
  next?: string
}

/** GET /dashboard/api/apps/:appId/visits/:requestId */
export interface VisitDetail {
  visitorId: string
  visit: VisitSummary
  /** Every signal the agent sent, by name. */
  components: Record<string, { value?: unknown; error?: string; duration?: number }>
  /** The v3 Server API's products of this event, and the v4 event. */
  v3: unknown
  v4: unknown
  /** The stored row, JSON columns parsed. */
  raw: Record<string, unknown>
}

/** GET /dashboard/api/apps/:appId/webhooks */
export interface WebhookInfo {
  id: string
  url: string
  format: 'v4' | 'v3'
  allowPrivate: boolean
  createdAt: string
  deliveries: {
    eventId: string
    status: 'pending' | 'delivered' | 'failed'
    attempts: number
    lastStatus: number | null
    lastError: string | null
    nextAttemptAt: string | null
    deliveredAt: string | null
    createdAt: string
  }[]
}

/** GET /dashboard/api/apps/:appId/sealed-keys */
export interface SealedKeyInfo {
  id: string
  format: string
  active: boolean
  createdAt: string
}

/** GET /dashboard/api/users */
export interface UserInfo {
  id: string
  email: string
  role: Role
  createdAt: string
}

/**
 * Writes (admin only):
 * POST   /dashboard/api/apps                         {name, allowedOrigins?: string[] | null} → AppInfo & {secretKey}
 * PATCH  /dashboard/api/apps/:appId                  {name?, allowedOrigins?: string[] | null} → AppInfo
 * POST   /dashboard/api/apps/:appId/rotate-secret    → {secretKey}
 * POST   /dashboard/api/apps/:appId/sealed-keys      {format: 'v3'|'v4'} → SealedKeyInfo & {key}
 * POST   /dashboard/api/apps/:appId/sealed-keys/:id/disable → {ok: true}
 * DELETE /dashboard/api/apps/:appId/visitors/:visitorId → {deleted: {visits: number}}
 * POST   /dashboard/api/apps/:appId/webhooks         {url, format?: 'v4'|'v3', allowPrivate?: boolean} → WebhookInfo & {secret}
 * DELETE /dashboard/api/apps/:appId/webhooks/:id     → {ok: true}
 * POST   /dashboard/api/apps/:appId/webhooks/:id/rotate-secret → {secret}
 * POST   /dashboard/api/users                        {email, password, role} → UserInfo
 * DELETE /dashboard/api/users/:id                    → {ok: true}
 * POST   /dashboard/api/users/:id/password           {password} → {ok: true}
 * Anyone signed in:
 * POST   /dashboard/api/sign-out                     → {ok: true}
 * POST   /dashboard/api/sign-out-everywhere          → {ok: true}
 */
export type Writes = never
