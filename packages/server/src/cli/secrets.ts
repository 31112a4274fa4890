import { parseArgs } from 'node:util'
import {
  DEFAULT_ROTATION_GRACE_DAYS,
  rotateTokenSecret,
  TOKEN_SECRETS_REFRESH_MS,
} from '../store/token-secrets.js'
import { DB_OPTIONS, printer, UsageError, withDb } from './common.js'

const HELP = `sightline secrets — the server's own secrets

Usage:
  sightline secrets rotate-token-secret [--grace-days N] [--json]

rotate-token-secret: a new secret signs stored identifiers from now on. Identifiers signed by the
previous one still verify for --grace-days (default ${DEFAULT_ROTATION_GRACE_DAYS}; 0 ends them at once, e.g. after a
leak); each visit in that time re-issues its identifier with the new secret. Running servers pick the
new secret up within ${TOKEN_SECRETS_REFRESH_MS / 1000} s.

Every command also accepts --data-dir DIR and --database-url URL.
`

const OPTIONS = {
  ...DB_OPTIONS,
  'grace-days': { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const

export async function run(argv: string[]): Promise<void> {
  const [sub, ...rest] = argv
  const { values, positionals } = parseArgs({ args: rest, options: OPTIONS, allowPositionals: true })
  if (!sub || sub === '--help' || sub === '-h' || sub === 'help' || values.help)
    return void process.stdout.write(HELP)
  if (sub !== 'rotate-token-secret') throw new UsageError(`unknown command: secrets ${sub}`)
  if (positionals.length) throw new UsageError(`secrets ${sub}: unexpected ${positionals.join(' ')}`)
  const raw = values['grace-days'] ?? String(DEFAULT_ROTATION_GRACE_DAYS)
  const days = Number(raw)
  if (!/^\d+$/.test(raw) || days > 3650)
    throw new UsageError('--grace-days must be a whole number, 0 to 3650')
  const { previousValidUntil } = await withDb(values, (db) =>
    rotateTokenSecret(db.kysely, days * 86_400_000, Date.now()),
  )
  const until = new Date(previousValidUntil).toISOString()
  printer(values.json)(
    { rotated: true, previousValidUntil: until },
    days === 0
      ? 'New token secret. Identifiers signed by the previous one no longer verify.'
      : `New token secret. Identifiers signed by the previous one verify until ${until}.`,
  )
}
