#!/usr/bin/env node
import cluster from 'node:cluster'
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs'
import type { Server } from 'node:http'
import path from 'node:path'
import { parseArgs } from 'node:util'
import type { Kysely } from 'kysely'
import { pino } from 'pino'
import type { Counter } from 'prom-client'
import { openInitialized, printer, UsageError, withDb } from './cli/common.js'
import { type Config, ConfigError, loadConfig } from './config.js'
import { createSightline } from './server.js'
import {
  type CreatedApp,
  createApp,
  isOrigin,
  listApps,
  rotateSecret,
  setAllowedOrigins,
} from './store/apps.js'
import type { Database } from './store/schema.js'
import { countUsers } from './store/users.js'
import { onDeliveriesQueued } from './store/webhooks.js'
import { SERVER_VERSION } from './version.js'
import { DEDICATED_DISPATCHER, startWebhookDispatcher } from './webhooks/dispatcher.js'

const HELP = `sightline — self-hosted visitor identification

Usage:
  sightline serve [--port N] [--host H] [--data-dir DIR] [--database-url URL]
                  [--trust-proxy V] [--log-level L] [--db-pool-size N] [--workers N]
                  [--retention-days N] [--rate-limit-identify N] [--rate-limit-api N]
                  [--rate-limit-identify-per-address N] [--request-timeout MS]
                  [--headers-timeout MS] [--keep-alive-timeout MS] [--no-demo]
                  [--stored-id-days N] [--sqlite-synchronous normal|full]
                  [--metrics-listen [HOST:]PORT] [--session-idle-minutes N]
                  [--session-max-hours N] [--no-dispatch]
  sightline dispatch [--data-dir DIR] [--database-url URL] [--log-level L] [--poll-ms N]
                                           send queued webhook deliveries (for serve --no-dispatch)
  sightline apps create --name NAME [--origins https://a.example,https://b.example] [--json]
  sightline apps list [--json]
  sightline apps rotate-secret APP_ID [--json]
  sightline apps set-origins APP_ID (--origins https://a.example,https://b.example | --any)
  sightline apps sealed-key (create|list|disable) ...   (sightline apps sealed-key --help)
  sightline users (create|list|delete|reset-password) ...   (sightline users --help)
  sightline visitors delete VISITOR_ID --app APP_ID     (sightline visitors --help)
  sightline webhooks (add|list|remove|rotate-secret|deliveries) ...   (sightline webhooks --help)
  sightline secrets rotate-token-secret [--grace-days N]   (sightline secrets --help)
  sightline backup --out FILE [--force]   a consistent copy of the SQLite database, while serving
  sightline migrate [--status]             apply pending database migrations, with progress
  sightline retention run [--days N] [--dry-run]   forget old visits now, with progress
  sightline --help | --version

Settings (flags win over environment variables):
  PORT (3000)  HOST (0.0.0.0)  SIGHTLINE_DATA_DIR (./data)  DATABASE_URL (SQLite in the data dir)
  DATABASE_POOL_SIZE (10)  TRUST_PROXY (off)  LOG_LEVEL (info)  SIGHTLINE_DEMO (true)
  SIGHTLINE_WORKERS (1): server processes sharing the port; with more than 1, the primary process
    sends the webhook deliveries the workers queue
  SIGHTLINE_DISPATCH (true): false (--no-dispatch) only queues webhook deliveries, for a separate
    sightline dispatch process to send
  SIGHTLINE_RETENTION_DAYS (keep all): forget visits older than this
  SIGHTLINE_RATE_LIMIT_IDENTIFY (1000) / SIGHTLINE_RATE_LIMIT_API (50): requests per second
    per public / secret key, per process; 0: no limit
  SIGHTLINE_STORED_ID_DAYS (180): stored identifiers older than this are ignored
  SIGHTLINE_SQLITE_SYNCHRONOUS (normal): full also survives an OS crash or power cut
  SIGHTLINE_METRICS_LISTEN (off): serve Prometheus metrics at GET /metrics on this address
    (PORT alone: 127.0.0.1), never on the public port
  SIGHTLINE_RATE_LIMIT_IDENTIFY_PER_ADDRESS (100): identifications per second per client address
  SIGHTLINE_REQUEST_TIMEOUT (30000) / SIGHTLINE_HEADERS_TIMEOUT (10000) / SIGHTLINE_KEEP_ALIVE_TIMEOUT
    (5000): milliseconds a client has to send its request / its headers, and an idle connection stays
  SIGHTLINE_SESSION_IDLE_MINUTES (60) / SIGHTLINE_SESSION_MAX_HOURS (12): a dashboard session
    ends after this long unused / this long after sign-in
  GEOIP_CITY_DB / GEOIP_ASN_DB / GEOIP_ISP_DB: optional MaxMind .mmdb files
`

const SERVE_OPTIONS = {
  port: { type: 'string' },
  host: { type: 'string' },
  'data-dir': { type: 'string' },
  'database-url': { type: 'string' },
  'trust-proxy': { type: 'string' },
  'log-level': { type: 'string' },
  'db-pool-size': { type: 'string' },
  workers: { type: 'string' },
  'retention-days': { type: 'string' },
  'rate-limit-identify': { type: 'string' },
  'rate-limit-api': { type: 'string' },
  'rate-limit-identify-per-address': { type: 'string' },
  'request-timeout': { type: 'string' },
  'headers-timeout': { type: 'string' },
  'keep-alive-timeout': { type: 'string' },
  'no-demo': { type: 'boolean' },
  'no-dispatch': { type: 'boolean' },
  'stored-id-days': { type: 'string' },
  'sqlite-synchronous': { type: 'string' },
  'metrics-listen': { type: 'string' },
  'session-idle-minutes': { type: 'string' },
  'session-max-hours': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const

const APPS_OPTIONS = {
  name: { type: 'string' },
  origins: { type: 'string' },
  any: { type: 'boolean' },
  json: { type: 'boolean' },
  'data-dir': { type: 'string' },
  'database-url': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const

/** Where the first start puts the Demo app's secret key (0600), so it never reaches the log stream. */
export const DEMO_SECRET_FILE = 'demo-secret-key'

function printDemoKeys(demo: CreatedApp | null, dataDir: string) {
  if (!demo) return
  // stdout carries the JSON logs too (journald, docker logs keep them): the secret goes to a file
  // only this user can read, and only its path is printed.
  mkdirSync(dataDir, { recursive: true, mode: 0o700 })
  const file = path.join(dataDir, DEMO_SECRET_FILE)
  writeFileSync(file, `${demo.secretKey}\n`, { mode: 0o600 })
  chmodSync(file, 0o600)
  process.stdout.write(
    `\nCreated the Demo app (${demo.id}).\n  public key: ${demo.publicKey}\n` +
      `  secret key: in ${file} (readable by this user only; shown nowhere else)\n\n`,
  )
}

/** A fresh install has no dashboard user: say how to create the first one. */
async function firstUserHint(db: Kysely<Database>): Promise<string> {
  if ((await countUsers(db)) > 0) return ''
  return (
    'No dashboard user yet. Create the first one (it reads the password from standard input):\n' +
    "  printf '%s\\n' 'a long password' | npx sightline users create --email you@example.com --password-stdin --role admin\n"
  )
}

const shownHost = (host: string) => (host === '0.0.0.0' || host === '::' ? 'localhost' : host)

async function serve(argv: string[]) {
  const { values } = parseArgs({ args: argv, options: SERVE_OPTIONS, strict: true })
  if (values.help) return void process.stdout.write(HELP)
  const { 'no-demo': noDemo, 'no-dispatch': noDispatch, help: _help, workers: workersFlag, ...flags } = values
  const config = loadConfig(process.env, {
    ...flags,
    demo: noDemo ? 'false' : undefined,
    dispatch: noDispatch ? 'false' : undefined,
  })
  const workers = Number(workersFlag ?? process.env.SIGHTLINE_WORKERS ?? 1)
  if (!Number.isInteger(workers) || workers < 1 || workers > 64)
    throw new UsageError('--workers must be 1..64')
  if (workers > 1 && cluster.isPrimary) return servePrimary(config, workers)
  const isWorker = cluster.isWorker

  // A worker only queues deliveries: the primary sends them, off the ingest path.
  const s = await createSightline(config, { waitForDatabase: false, webhooks: config.dispatch && !isWorker })
  if (isWorker && config.dispatch) tellPrimaryWhenQueued()
  let metricsServer: (Server & { url: string }) | undefined
  let closing = false
  const shutdown = (signal: string) => {
    if (closing) return
    closing = true
    s.app.log.info({ signal }, 'shutting down: draining requests')
    metricsServer?.close()
    s.close().then(
      () => process.exit(0),
      (err) => {
        s.app.log.error({ err }, 'shutdown failed')
        process.exit(1)
      },
    )
  }
  process.once('SIGTERM', () => shutdown('SIGTERM'))
  process.once('SIGINT', () => shutdown('SIGINT'))
  // Listen first: while the database is unreachable /readyz says so and other routes answer 503.
  await s.app.listen({ port: config.port, host: config.host })
  await s.ready
  if (s.metrics && isWorker) (await import('./metrics.js')).shareWithPrimary(s.metrics.registry)
  else if (s.metrics && config.metricsListen) {
    const { registry } = s.metrics
    const { serveMetrics } = await import('./metrics.js')
    metricsServer = await serveMetrics(config.metricsListen, async () => ({
      contentType: registry.contentType,
      body: await registry.metrics(),
    }))
  }
  if (isWorker) return void process.send?.({ sightline: 'ready' })
  printDemoKeys(s.createdDemo, config.dataDir)
  const addr = s.app.server.address()
  const port = typeof addr === 'object' && addr ? addr.port : config.port
  process.stdout.write(
    `Sightline is serving at http://${shownHost(config.host)}:${port}/ (database: ${s.db.location})\n` +
      (metricsServer ? `Metrics at ${metricsServer.url}\n` : '') +
      `Dashboard at http://${shownHost(config.host)}:${port}/dashboard\n` +
      (await firstUserHint(s.db.kysely)),
  )
}

/** In a worker: tells the primary's dispatcher that deliveries were queued (at most one message per 10 ms). */
function tellPrimaryWhenQueued() {
  let pending = false
  onDeliveriesQueued(() => {
    if (pending) return
    pending = true
    setTimeout(() => {
      pending = false
      process.send?.({ sightline: 'queued' })
    }, 10)
  })
}

/**
 * `--workers N`: migrate and initialise once, then N processes share the port (node:cluster). The
 * primary sends the webhook deliveries the workers queue, so no worker spends its time on them.
 */
async function servePrimary(config: Config, workers: number) {
  const log = pino({ level: config.logLevel })
  const { db, init } = await openInitialized(config, log, config.demo)
  printDemoKeys(init.createdDemo, config.dataDir)
  const userHint = await firstUserHint(db.kysely).catch(async (err) => {
    await db.close()
    throw err
  })
  // The primary answers /metrics with every worker's metrics, aggregated, and its dispatcher's.
  let metricsServer: (Server & { url: string }) | undefined
  let attempts: Counter<'outcome'> | undefined
  if (config.metricsListen) {
    const { serveMetrics, clusterRender, webhookAttemptsCounter } = await import('./metrics.js')
    const own = new (await import('prom-client')).Registry()
    if (config.dispatch) attempts = webhookAttemptsCounter(own)
    metricsServer = await serveMetrics(config.metricsListen, clusterRender(own))
  }
  const dispatcher = config.dispatch
    ? startWebhookDispatcher(db.kysely, log, {
        ...DEDICATED_DISPATCHER,
        ...(attempts ? { onAttempt: (o) => attempts.inc({ outcome: o }) } : {}),
      })
    : null
  if (!dispatcher) await db.close()
  let closing = false
  // Announce only once every worker has listened *and* finished its own start-up, so nothing
  // that reads this line meets a 503.
  let port: number | undefined
  const ready = new Set<number>()
  let announced = false
  const announce = () => {
    if (announced || port === undefined || ready.size < workers) return
    announced = true
    process.stdout.write(
      `Sightline is serving at http://${shownHost(config.host)}:${port}/ with ${workers} workers (database: ${db.location})\n` +
        (metricsServer ? `Metrics at ${metricsServer.url}\n` : '') +
        `Dashboard at http://${shownHost(config.host)}:${port}/dashboard\n` +
        userHint,
    )
  }
  const fork = () => cluster.fork({ SIGHTLINE_WORKER_OF: String(process.pid) })
  cluster.on('listening', (_worker, address) => {
    port = address.port
    announce()
  })
  cluster.on('message', (worker, msg) => {
    const what = (msg as { sightline?: string })?.sightline
    if (what === 'queued') return dispatcher?.wake()
    if (what !== 'ready') return
    ready.add(worker.id)
    announce()
  })
  cluster.on('exit', (worker, code, signal) => {
    ready.delete(worker.id)
    if (closing) {
      if (Object.keys(cluster.workers ?? {}).length > 0) return
      // The workers are gone: nothing more is queued. Let in-flight deliveries finish (stop's grace).
      void (async () => {
        try {
          await dispatcher?.stop()
          if (dispatcher) await db.close()
        } catch (err) {
          log.error({ err }, 'webhook dispatcher: stopping failed')
        }
        process.exit(0)
      })()
      return
    }
    log.error({ pid: worker.process.pid, code, signal }, 'worker died: starting another')
    fork()
  })
  const shutdown = (signal: string) => {
    if (closing) return
    closing = true
    log.info({ signal }, 'shutting down: draining every worker')
    for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGTERM')
  }
  process.once('SIGTERM', () => shutdown('SIGTERM'))
  process.once('SIGINT', () => shutdown('SIGINT'))
  for (let i = 0; i < workers; i++) fork()
}

const isHelp = (word: string) => word === '--help' || word === '-h' || word === 'help'

const APPS_COMMANDS = new Set(['create', 'list', 'rotate-secret', 'set-origins'])

function parseOrigins(raw: string | undefined): string[] | null {
  const origins = raw
    ?.split(',')
    .map((o) => o.trim())
    .filter(Boolean)
  for (const o of origins ?? []) {
    if (!isOrigin(o)) throw new UsageError(`--origins: ${o} is not an origin like https://shop.example`)
  }
  if (raw !== undefined && !origins?.length) throw new UsageError('--origins: no origin given')
  return origins ?? null
}

const originsText = (o: string[] | null) => (o === null ? 'any' : o.join(',') || 'this server only')

async function apps(argv: string[]) {
  const [sub, ...rest] = argv
  if (sub === 'sealed-key') return (await import('./cli/sealed-keys.js')).run(rest)
  const { values, positionals } = parseArgs({ args: rest, options: APPS_OPTIONS, allowPositionals: true })
  if (values.help || !sub || isHelp(sub)) return void process.stdout.write(HELP)
  // Usage errors are found before the database is opened: a typo must not create ./data.
  if (!APPS_COMMANDS.has(sub)) throw new UsageError(`unknown command: apps ${sub}`)
  const name = values.name?.trim()
  if (sub === 'create' && !name) throw new UsageError('apps create needs --name NAME')
  const origins = parseOrigins(values.origins)
  if (sub === 'rotate-secret' && !positionals[0]) throw new UsageError('apps rotate-secret needs an APP_ID')
  if (sub === 'set-origins' && (!positionals[0] || (values.origins === undefined) === !values.any))
    throw new UsageError('apps set-origins needs an APP_ID and either --origins LIST or --any')
  return withDb(values, async (db) => {
    const out = printer(values.json)
    if (sub === 'create' && name) {
      const app = await createApp(db.kysely, { name, allowedOrigins: origins ?? null })
      out(
        app,
        `Created app ${app.id} (${app.name})\n  public key: ${app.publicKey}\n  secret key: ${app.secretKey}\n` +
          'The secret key is shown only now; store it safely.',
      )
    } else if (sub === 'list') {
      const list = await listApps(db.kysely)
      out(
        list,
        list.length === 0
          ? 'No apps yet: sightline apps create --name NAME'
          : list
              .map((a) => `${a.id}  ${a.name}  ${a.publicKey}  origins: ${originsText(a.allowedOrigins)}`)
              .join('\n'),
      )
    } else if (sub === 'set-origins') {
      const id = positionals[0] as string
      const allowed = values.any ? null : origins
      if (!(await setAllowedOrigins(db.kysely, id, allowed))) throw new UsageError(`no app with id ${id}`)
      out(
        { id, allowedOrigins: allowed },
        `${id} now accepts identifications from ${allowed ? allowed.join(', ') : 'any origin'} ` +
          '(running servers within 5 s).',
      )
    } else if (sub === 'rotate-secret') {
      const id = positionals[0] as string
      const secretKey = await rotateSecret(db.kysely, id)
      if (!secretKey) throw new UsageError(`no app with id ${id}`)
      out({ id, secretKey }, `New secret key for ${id}: ${secretKey}\nThe old secret key no longer works.`)
    }
  })
}

async function main(argv: string[]) {
  const [cmd, ...rest] = argv
  if (!cmd || isHelp(cmd)) return void process.stdout.write(HELP)
  if (cmd === '--version' || cmd === '-v' || cmd === 'version')
    return void process.stdout.write(`${SERVER_VERSION}\n`)
  if (cmd === 'serve') return serve(rest)
  if (cmd === 'dispatch') return (await import('./cli/dispatch.js')).run(rest)
  if (cmd === 'apps') return apps(rest)
  if (cmd === 'users') return (await import('./cli/users.js')).run(rest)
  if (cmd === 'visitors') return (await import('./cli/visitors.js')).run(rest)
  if (cmd === 'webhooks') return (await import('./cli/webhooks.js')).run(rest)
  if (cmd === 'secrets') return (await import('./cli/secrets.js')).run(rest)
  if (cmd === 'backup') return (await import('./cli/backup.js')).run(rest)
  if (cmd === 'migrate') return (await import('./cli/maintenance.js')).migrate(rest)
  if (cmd === 'retention') return (await import('./cli/maintenance.js')).retention(rest)
  throw new UsageError(`unknown command: ${cmd}`)
}

main(process.argv.slice(2)).catch((err: unknown) => {
  const known =
    err instanceof UsageError ||
    err instanceof ConfigError ||
    (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')
  process.stderr.write(
    `sightline: ${(err as Error).message}\n${known ? 'Run sightline --help for usage.\n' : ''}`,
  )
  process.exit(known ? 2 : 1)
})
