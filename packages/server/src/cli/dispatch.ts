import { parseArgs } from 'node:util'
import { pino } from 'pino'
import { loadConfig } from '../config.js'
import { DEDICATED_DISPATCHER, startWebhookDispatcher } from '../webhooks/dispatcher.js'
import { DB_OPTIONS, openInitialized, UsageError } from './common.js'

const HELP = `sightline dispatch — send the queued webhook deliveries, and nothing else

Usage:
  sightline dispatch [--data-dir DIR] [--database-url URL] [--log-level L] [--poll-ms N]

  Runs until SIGTERM or SIGINT (in-flight deliveries get a few seconds to finish). Start the servers
  with --no-dispatch (SIGHTLINE_DISPATCH=false) so that they only queue deliveries, inside each
  identification's transaction, and this process sends them: identification keeps its CPU, and a
  slow receiver never touches it. Deliveries are claimed with leases, so several dispatch processes
  (or servers that dispatch) may run at once; each delivery is sent by one of them.
  --poll-ms: how often an idle dispatcher looks for new deliveries (default 200).
`

const OPTIONS = {
  ...DB_OPTIONS,
  'log-level': { type: 'string' },
  'poll-ms': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const

export async function run(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true })
  if (values.help || positionals[0] === 'help') return void process.stdout.write(HELP)
  if (positionals.length) throw new UsageError(`dispatch: unexpected ${positionals.join(' ')}`)
  const pollMs = Number(values['poll-ms'] ?? 200)
  if (!Number.isInteger(pollMs) || pollMs < 10 || pollMs > 60_000)
    throw new UsageError('--poll-ms must be a whole number of milliseconds, 10 to 60000')
  const config = loadConfig(process.env, {
    'data-dir': values['data-dir'],
    'database-url': values['database-url'],
    'log-level': values['log-level'],
  })
  const log = pino({ level: config.logLevel })
  const { db } = await openInitialized(config, log, false)
  // Nothing in this process queues deliveries: without the server's wake-ups, poll more often.
  const dispatcher = startWebhookDispatcher(db.kysely, log, { ...DEDICATED_DISPATCHER, idlePollMs: pollMs })
  // The dispatcher's timers are unref'd and SQLite holds no handle: this keeps the process running.
  const alive = setInterval(() => {}, 3_600_000)
  let stopping = false
  const stop = (signal: string) => {
    if (stopping) return
    stopping = true
    clearInterval(alive)
    log.info({ signal }, 'dispatch: stopping')
    dispatcher
      .stop()
      .then(() => db.close())
      .then(
        () => process.exit(0),
        (err) => {
          log.error({ err }, 'dispatch: stopping failed')
          process.exit(1)
        },
      )
  }
  process.once('SIGTERM', () => stop('SIGTERM'))
  process.once('SIGINT', () => stop('SIGINT'))
  process.stdout.write(`Sightline is dispatching webhook deliveries (database: ${db.location})\n`)
}
