import { parseArgs } from 'node:util'
import {
  createSealedKey,
  disableSealedKey,
  listSealedKeys,
  SEALED_FORMATS,
  type SealedFormat,
} from '../store/sealed-keys.js'
import { DB_OPTIONS, printer, UsageError, withDb } from './common.js'

const HELP = `sightline apps sealed-key — keys that seal the identification result for the app's backend

Usage:
  sightline apps sealed-key create --app APP_ID [--format v3|v4] [--json]
      A new active key; prints its id and the base64 key (shown only now). Format v3 (default)
      seals {products: …}, v4 the flat v4 event. The newest active key seals.
  sightline apps sealed-key list --app APP_ID [--json]
      The app's keys, newest first: id, format, active, created (never the key).
  sightline apps sealed-key disable KEY_ID [--json]
      Stops sealing with the key (servers notice within 5 s).

Every command also takes --data-dir DIR and --database-url URL.
`

const OPTIONS = {
  app: { type: 'string' },
  format: { type: 'string' },
  json: { type: 'boolean' },
  ...DB_OPTIONS,
  help: { type: 'boolean', short: 'h' },
} as const

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values']

const needApp = (values: Values, cmd: string) => {
  const app = values.app?.trim()
  if (!app) throw new UsageError(`apps sealed-key ${cmd} needs --app APP_ID`)
  return app
}

function parseFormat(raw: string | undefined): SealedFormat {
  const format = raw ?? 'v3'
  if (!(SEALED_FORMATS as readonly string[]).includes(format))
    throw new UsageError(`--format must be v3 or v4, got ${format}`)
  return format as SealedFormat
}

async function create(values: Values) {
  const appId = needApp(values, 'create')
  const format = parseFormat(values.format)
  const key = await withDb(values, (db) => createSealedKey(db.kysely, appId, format))
  if (!key) throw new UsageError(`no app with id ${appId}`)
  printer(values.json)(
    key,
    `Created sealed-results key ${key.id} (format ${key.format}) for ${appId}\n  key: ${key.key}\n` +
      'The key is shown only now; store it with the backend that opens sealed results.',
  )
}

async function list(values: Values) {
  const appId = needApp(values, 'list')
  const keys = await withDb(values, (db) => listSealedKeys(db.kysely, appId))
  printer(values.json)(
    keys,
    keys.length === 0
      ? `No sealed-results keys for ${appId}: sightline apps sealed-key create --app ${appId}`
      : keys
          .map((k) => `${k.id}  ${k.format}  ${k.active ? 'active' : 'disabled'}  created ${k.createdAt}`)
          .join('\n'),
  )
}

async function disable(values: Values, id: string | undefined) {
  if (!id) throw new UsageError('apps sealed-key disable needs a KEY_ID')
  const done = await withDb(values, (db) => disableSealedKey(db.kysely, id))
  if (!done) throw new UsageError(`no sealed-results key with id ${id}`)
  printer(values.json)({ id, active: false }, `Disabled sealed-results key ${id}`)
}

export async function run(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true })
  const [sub, ...rest] = positionals
  if (values.help || !sub) return void process.stdout.write(HELP)
  if (sub !== 'disable' && rest.length > 0) throw new UsageError(`unexpected argument: ${rest[0]}`)
  if (sub === 'create') return create(values)
  if (sub === 'list') return list(values)
  if (sub === 'disable') return disable(values, rest[0])
  throw new UsageError(`unknown command: apps sealed-key ${sub}`)
}
