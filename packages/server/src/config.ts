import path from 'node:path'

export type TrustProxy = boolean | number | string[]

export interface Config {
  port: number
  host: string
  dataDir: string
  databaseUrl: string | undefined
  dbPoolSize: number
  trustProxy: TrustProxy
  logLevel: string
  geo: { cityDb?: string | undefined; asnDb?: string | undefined; ispDb?: string | undefined }
  /** Create a "Demo" app on an empty database and serve the demo page at `/`. */
  demo: boolean
  /**
   * Send webhook deliveries from this server (in its process, or in the primary of `--workers N`);
   * false: only queue them, for a `sightline dispatch` process to send.
   */
  dispatch: boolean
  /** Forget visits older than this many days; null: keep everything. */
  retentionDays: number | null
  /** Requests per second per key (token bucket, per process); 0: no limit. */
  rateLimits: RateLimits
  /** A stored identifier older than this is ignored (each identification issues a fresh one). */
  storedIdMaxAgeDays: number
  /** SQLite `synchronous`: NORMAL survives a crash of the process, FULL also a crash of the OS or power. */
  sqliteSynchronous: SqliteSynchronous
  /** Serve Prometheus metrics at GET /metrics on this address (its own listener); null: off. */
  metricsListen: { host: string; port: number } | null
  /** How long a client may take, in milliseconds (docs/security.md). */
  timeouts: Timeouts
  /** Dashboard sessions end after this long unused, and this long after sign-in (ms). */
  sessions: { idleMs: number; maxMs: number }
}

export interface Timeouts {
  /** The whole request, headers and body, must arrive within this. */
  requestMs: number
  /** The headers must arrive within this. */
  headersMs: number
  /** An idle keep-alive connection is closed after this. */
  keepAliveMs: number
}

export type SqliteSynchronous = 'normal' | 'full'

export interface RateLimits {
  /** POST /v1/identify, per public key. */
  identify: number
  /** The Server APIs (/v1, v3, v4), per secret key. */
  api: number
  /** POST /v1/identify, per client address (whatever key it uses). */
  identifyPerAddress: number
}

export class ConfigError extends Error {}

/** `TRUST_PROXY`: off by default; `true`, a hop count, or a comma-separated list of proxy addresses/CIDRs. */
export function parseTrustProxy(raw: string | undefined): TrustProxy {
  const v = raw?.trim() ?? ''
  if (v === '' || /^(false|0|off|no)$/i.test(v)) return false
  if (/^(true|on|yes)$/i.test(v)) return true
  if (/^\d+$/.test(v)) return Number(v)
  const list = v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
  if (list.length === 0) throw new ConfigError(`TRUST_PROXY: cannot read ${JSON.stringify(raw)}`)
  return list
}

function parsePort(raw: string | undefined, fallback: number): number {
  if (raw === undefined || raw === '') return fallback
  const n = Number(raw)
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new ConfigError(`PORT must be 0..65535, got ${raw}`)
  return n
}

function parseRate(raw: string | undefined, name: string, fallback: number): number {
  if (raw === undefined || raw.trim() === '') return fallback
  const n = Number(raw)
  if (!Number.isFinite(n) || n < 0 || n > 1_000_000)
    throw new ConfigError(`${name} must be requests per second, 0 (no limit) to 1000000, got ${raw}`)
  return n
}

/** `SIGHTLINE_METRICS_LISTEN`: `PORT` (on 127.0.0.1) or `HOST:PORT` (port 0: any free one); empty or off: no metrics. */
export function parseMetricsListen(raw: string | undefined): Config['metricsListen'] {
  const v = raw?.trim() ?? ''
  if (v === '' || /^(false|0|off|no)$/i.test(v)) return null
  const m = /^(?:\[?([^\]]*?)\]?:)?(\d+)$/.exec(v)
  const port = Number(m?.[2])
  if (!m || !Number.isInteger(port) || port > 65535)
    throw new ConfigError(`SIGHTLINE_METRICS_LISTEN must be PORT or HOST:PORT, got ${raw}`)
  return { host: m[1] || '127.0.0.1', port }
}

function parseMs(raw: string | undefined, name: string, fallback: number): number {
  if (raw === undefined || raw.trim() === '') return fallback
  const n = Number(raw)
  if (!Number.isInteger(n) || n < 1 || n > 3_600_000)
    throw new ConfigError(`${name} must be milliseconds, 1 to 3600000, got ${raw}`)
  return n
}

const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']

/** Flags win over the environment, which wins over defaults. */
export function loadConfig(env: NodeJS.ProcessEnv, flags: Record<string, string | undefined> = {}): Config {
  const pick = (flag: string, name: string) => flags[flag] ?? env[name]
  const logLevel = pick('log-level', 'LOG_LEVEL') ?? 'info'
  if (!LEVELS.includes(logLevel)) throw new ConfigError(`LOG_LEVEL must be one of ${LEVELS.join(', ')}`)
  const pool = Number(pick('db-pool-size', 'DATABASE_POOL_SIZE') ?? 10)
  if (!Number.isInteger(pool) || pool < 1)
    throw new ConfigError('DATABASE_POOL_SIZE must be a positive integer')
  const retentionRaw = pick('retention-days', 'SIGHTLINE_RETENTION_DAYS')
  const retentionDays = retentionRaw === undefined || retentionRaw === '' ? null : Number(retentionRaw)
  if (retentionDays !== null && !(Number.isInteger(retentionDays) && retentionDays >= 1)) {
    throw new ConfigError('SIGHTLINE_RETENTION_DAYS must be a whole number of days, at least 1')
  }
  const maxAgeRaw = pick('stored-id-days', 'SIGHTLINE_STORED_ID_DAYS')
  const storedIdMaxAgeDays = maxAgeRaw === undefined || maxAgeRaw === '' ? 180 : Number(maxAgeRaw)
  if (!(Number.isInteger(storedIdMaxAgeDays) && storedIdMaxAgeDays >= 1 && storedIdMaxAgeDays <= 3650)) {
    throw new ConfigError('SIGHTLINE_STORED_ID_DAYS must be a whole number of days, 1 to 3650')
  }
  const sync = (pick('sqlite-synchronous', 'SIGHTLINE_SQLITE_SYNCHRONOUS') ?? 'normal').toLowerCase()
  if (sync !== 'normal' && sync !== 'full')
    throw new ConfigError('SIGHTLINE_SQLITE_SYNCHRONOUS must be normal or full')
  const timeouts: Timeouts = {
    requestMs: parseMs(
      pick('request-timeout', 'SIGHTLINE_REQUEST_TIMEOUT'),
      'SIGHTLINE_REQUEST_TIMEOUT',
      30_000,
    ),
    headersMs: parseMs(
      pick('headers-timeout', 'SIGHTLINE_HEADERS_TIMEOUT'),
      'SIGHTLINE_HEADERS_TIMEOUT',
      10_000,
    ),
    keepAliveMs: parseMs(
      pick('keep-alive-timeout', 'SIGHTLINE_KEEP_ALIVE_TIMEOUT'),
      'SIGHTLINE_KEEP_ALIVE_TIMEOUT',
      5_000,
    ),
  }
  const idleRaw = pick('session-idle-minutes', 'SIGHTLINE_SESSION_IDLE_MINUTES')
  const idleMinutes = idleRaw === undefined || idleRaw === '' ? 60 : Number(idleRaw)
  if (!(Number.isFinite(idleMinutes) && idleMinutes > 0 && idleMinutes <= 10_080))
    throw new ConfigError(
      'SIGHTLINE_SESSION_IDLE_MINUTES must be a number of minutes, above 0 and at most 10080',
    )
  const maxRaw = pick('session-max-hours', 'SIGHTLINE_SESSION_MAX_HOURS')
  const maxHours = maxRaw === undefined || maxRaw === '' ? 12 : Number(maxRaw)
  if (!(Number.isFinite(maxHours) && maxHours > 0 && maxHours <= 720))
    throw new ConfigError('SIGHTLINE_SESSION_MAX_HOURS must be a number of hours, above 0 and at most 720')
  if (timeouts.headersMs > timeouts.requestMs)
    throw new ConfigError('SIGHTLINE_HEADERS_TIMEOUT must not be longer than SIGHTLINE_REQUEST_TIMEOUT')
  return {
    retentionDays,
    storedIdMaxAgeDays,
    sqliteSynchronous: sync,
    rateLimits: {
      identify: parseRate(
        pick('rate-limit-identify', 'SIGHTLINE_RATE_LIMIT_IDENTIFY'),
        'SIGHTLINE_RATE_LIMIT_IDENTIFY',
        1000,
      ),
      api: parseRate(pick('rate-limit-api', 'SIGHTLINE_RATE_LIMIT_API'), 'SIGHTLINE_RATE_LIMIT_API', 50),
      identifyPerAddress: parseRate(
        pick('rate-limit-identify-per-address', 'SIGHTLINE_RATE_LIMIT_IDENTIFY_PER_ADDRESS'),
        'SIGHTLINE_RATE_LIMIT_IDENTIFY_PER_ADDRESS',
        100,
      ),
    },
    timeouts,
    sessions: { idleMs: Math.round(idleMinutes * 60_000), maxMs: Math.round(maxHours * 3_600_000) },
    port: parsePort(pick('port', 'PORT'), 3000),
    host: pick('host', 'HOST') ?? '0.0.0.0',
    dataDir: path.resolve(pick('data-dir', 'SIGHTLINE_DATA_DIR') ?? './data'),
    databaseUrl: pick('database-url', 'DATABASE_URL') || undefined,
    dbPoolSize: pool,
    trustProxy: parseTrustProxy(pick('trust-proxy', 'TRUST_PROXY')),
    logLevel,
    geo: {
      cityDb: env.GEOIP_CITY_DB || undefined,
      asnDb: env.GEOIP_ASN_DB || undefined,
      ispDb: env.GEOIP_ISP_DB || undefined,
    },
    metricsListen: parseMetricsListen(pick('metrics-listen', 'SIGHTLINE_METRICS_LISTEN')),
    demo: !/^(false|0|off|no)$/i.test(pick('demo', 'SIGHTLINE_DEMO') ?? 'true'),
    dispatch: !/^(false|0|off|no)$/i.test(pick('dispatch', 'SIGHTLINE_DISPATCH') ?? 'true'),
  }
}
