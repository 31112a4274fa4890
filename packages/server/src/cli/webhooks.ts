import { parseArgs } from 'node:util'
import {
  createWebhook,
  DELIVERY_STATUSES,
  type Delivery,
  type DeliveryStatus,
  listDeliveries,
  listWebhooks,
  MAX_DELIVERIES_LISTED,
  removeWebhook,
  rotateWebhookSecret,
  setWebhookAllowPrivate,
  WEBHOOK_CACHE_MS,
  WEBHOOK_FORMATS,
  type WebhookFormat,
} from '../store/webhooks.js'
import { parseWebhookUrl, privateAddressOf } from '../webhooks/target.js'
import { DB_OPTIONS, printer, UsageError, withDb } from './common.js'

const HELP = `sightline webhooks — signed event deliveries to your backend

Usage:
  sightline webhooks add --app APP_ID --url URL [--format v4|v3] [--allow-private] [--json]
  sightline webhooks allow-private WEBHOOK_ID [--off] [--json]
  sightline webhooks list [--app APP_ID] [--json]
  sightline webhooks remove WEBHOOK_ID [--json]
  sightline webhooks rotate-secret WEBHOOK_ID [--json]
  sightline webhooks deliveries [--app APP_ID] [--webhook WEBHOOK_ID]
                                [--status pending|delivered|failed] [--limit N] [--json]

Every command also accepts --data-dir DIR and --database-url URL.
The signing secret is shown once, by add and rotate-secret. After a rotation, deliveries carry
two signatures (new and previous secret) until the next rotation.
A running server notices a new webhook within ${WEBHOOK_CACHE_MS / 1000} s.
A webhook reaches public addresses only: loopback, link-local, private, unique-local and other
non-public addresses are refused when it is added and at every delivery (DNS can change), unless
it was added with --allow-private (or allowed later with allow-private).
`

const OPTIONS = {
  ...DB_OPTIONS,
  app: { type: 'string' },
  url: { type: 'string' },
  format: { type: 'string' },
  webhook: { type: 'string' },
  status: { type: 'string' },
  limit: { type: 'string' },
  'allow-private': { type: 'boolean' },
  off: { type: 'boolean' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values']

/** http(s) only, no credentials in the URL (fetch refuses them). */
export function checkWebhookUrl(raw: string | undefined): string {
  if (!raw?.trim()) throw new UsageError('webhooks add needs --url URL')
  const url = parseWebhookUrl(raw)
  if (!(url instanceof URL)) throw new UsageError(`--url: ${url.problem}`)
  return url.href
}

function checkFormat(raw: string | undefined): WebhookFormat {
  const format = raw ?? 'v4'
  if (!(WEBHOOK_FORMATS as readonly string[]).includes(format))
    throw new UsageError(`--format must be one of ${WEBHOOK_FORMATS.join(', ')}`)
  return format as WebhookFormat
}

function checkStatus(raw: string | undefined): DeliveryStatus | undefined {
  if (raw === undefined) return undefined
  if (!(DELIVERY_STATUSES as readonly string[]).includes(raw))
    throw new UsageError(`--status must be one of ${DELIVERY_STATUSES.join(', ')}`)
  return raw as DeliveryStatus
}

function checkLimit(raw: string | undefined): number {
  if (raw === undefined) return 50
  const n = Number(raw)
  if (!/^\d+$/.test(raw) || n < 1 || n > MAX_DELIVERIES_LISTED)
    throw new UsageError(`--limit must be an integer from 1 to ${MAX_DELIVERIES_LISTED}`)
  return n
}

function onlyId(positionals: string[], command: string): string {
  const [id, ...extra] = positionals
  if (!id) throw new UsageError(`webhooks ${command} needs a WEBHOOK_ID`)
  if (extra.length) throw new UsageError(`webhooks ${command}: unexpected ${extra.join(' ')}`)
  return id
}

function noPositionals(positionals: string[], command: string) {
  if (positionals.length) throw new UsageError(`webhooks ${command}: unexpected ${positionals.join(' ')}`)
}

const deliveryLine = (d: Delivery) =>
  [
    d.eventId,
    d.webhookId,
    d.status,
    `attempts ${d.attempts}`,
    d.lastStatus !== null ? `HTTP ${d.lastStatus}` : '',
    d.lastError ?? '',
    d.nextAttemptAt ? `next ${d.nextAttemptAt}` : '',
    d.deliveredAt ? `delivered ${d.deliveredAt}` : '',
  ]
    .filter(Boolean)
    .join('  ')

async function add(values: Values, positionals: string[]) {
  noPositionals(positionals, 'add')
  const appId = values.app?.trim()
  if (!appId) throw new UsageError('webhooks add needs --app APP_ID')
  const url = checkWebhookUrl(values.url)
  const format = checkFormat(values.format)
  const allowPrivate = values['allow-private'] === true
  const address = allowPrivate ? null : await privateAddressOf(new URL(url))
  if (address !== null && address !== 'unresolved')
    throw new UsageError(
      `--url: ${new URL(url).hostname} is or resolves to ${address}, not a public address; ` +
        'pass --allow-private to send events there',
    )
  const hook = await withDb(values, (db) => createWebhook(db.kysely, { appId, url, format, allowPrivate }))
  if (!hook) throw new UsageError(`no app with id ${appId}`)
  if (address === 'unresolved')
    process.stderr.write(
      `sightline: warning: ${new URL(url).hostname} does not resolve now; each delivery checks its address\n`,
    )
  printer(values.json)(
    hook,
    `Created webhook ${hook.id} for app ${hook.appId} (${hook.format}) → ${hook.url}\n` +
      `  signing secret: ${hook.secret}\n` +
      'The signing secret is shown only now; store it where your receiver can read it.',
  )
}

async function list(values: Values, positionals: string[]) {
  noPositionals(positionals, 'list')
  const hooks = await withDb(values, (db) => listWebhooks(db.kysely, { appId: values.app }))
  printer(values.json)(
    hooks,
    hooks.length === 0
      ? 'No webhooks: sightline webhooks add --app APP_ID --url URL'
      : hooks
          .map(
            (h) =>
              `${h.id}  ${h.appId}  ${h.format}  ${h.url}${h.rotated ? '  (two signatures)' : ''}${h.allowPrivate ? '  (private allowed)' : ''}`,
          )
          .join('\n'),
  )
}

async function remove(values: Values, positionals: string[]) {
  const id = onlyId(positionals, 'remove')
  if (!(await withDb(values, (db) => removeWebhook(db.kysely, id))))
    throw new UsageError(`no webhook with id ${id}`)
  printer(values.json)({ id, removed: true }, `Removed webhook ${id} and its deliveries.`)
}

async function rotate(values: Values, positionals: string[]) {
  const id = onlyId(positionals, 'rotate-secret')
  const secret = await withDb(values, (db) => rotateWebhookSecret(db.kysely, id))
  if (!secret) throw new UsageError(`no webhook with id ${id}`)
  printer(values.json)(
    { id, secret },
    `New signing secret for ${id}: ${secret}\n` +
      'Deliveries are signed with this secret and the previous one until the next rotation.',
  )
}

async function deliveries(values: Values, positionals: string[]) {
  noPositionals(positionals, 'deliveries')
  const filter = {
    appId: values.app,
    webhookId: values.webhook,
    status: checkStatus(values.status),
    limit: checkLimit(values.limit),
  }
  const rows = await withDb(values, (db) => listDeliveries(db.kysely, filter))
  printer(values.json)(rows, rows.length === 0 ? 'No deliveries.' : rows.map(deliveryLine).join('\n'))
}

async function allowPrivate(values: Values, positionals: string[]) {
  const id = onlyId(positionals, 'allow-private')
  const allow = values.off !== true
  if (!(await withDb(values, (db) => setWebhookAllowPrivate(db.kysely, id, allow))))
    throw new UsageError(`no webhook with id ${id}`)
  printer(values.json)(
    { id, allowPrivate: allow },
    allow
      ? `Webhook ${id} may now reach private and other non-public addresses.`
      : `Webhook ${id} reaches public addresses only.`,
  )
}

const COMMANDS: Record<string, (values: Values, positionals: string[]) => Promise<void>> = {
  add,
  'allow-private': allowPrivate,
  list,
  remove,
  'rotate-secret': rotate,
  deliveries,
}

export async function run(argv: string[]): Promise<void> {
  const [sub, ...rest] = argv
  const { values, positionals } = parseArgs({
    args: rest,
    options: OPTIONS,
    allowPositionals: true,
    strict: true,
  })
  if (!sub || sub === '--help' || sub === '-h' || sub === 'help' || values.help)
    return void process.stdout.write(HELP)
  const command = COMMANDS[sub]
  if (!command) throw new UsageError(`unknown command: webhooks ${sub}`)
  await command(values, positionals)
}
