import { parseArgs } from 'node:util'
import { loadConfig } from '../config.js'
import { LATEST_MIGRATION, migrateToLatest, pendingMigrations } from '../store/migrations.js'
import { applyRetention, countRetention, type RetentionProgress } from '../store/partitions.js'
import { DB_OPTIONS, migrationProgress, printer, progressLine, UsageError, withDb } from './common.js'

const MIGRATE_HELP = `sightline migrate — bring the database's tables up to this version

Usage:
  sightline migrate [--status] [--json] [--data-dir DIR] [--database-url URL]

  Applies the pending migrations one by one; on a terminal each shows while it runs and how long
  it took. The server also migrates when it starts: run this first to upgrade a large database
  while the old version still serves, or to see what an upgrade will do (--status lists the
  pending migrations and changes nothing). Back up first (docs/operations.md).
`

const RETENTION_HELP = `sightline retention — forget old visits now

Usage:
  sightline retention run [--days N] [--dry-run] [--json] [--data-dir DIR] [--database-url URL]

  Deletes visits older than N days (default: SIGHTLINE_RETENTION_DAYS), and the visitors, fingerprints
  and claims not seen since then, as a server started with --retention-days does every hour. On a
  terminal it shows how many rows are gone while it works. --dry-run counts what would go.
  On PostgreSQL whole monthly partitions go at once, so a visit can stay up to a month longer.
`

const OPTIONS = {
  ...DB_OPTIONS,
  status: { type: 'boolean' },
  days: { type: 'string' },
  'dry-run': { type: 'boolean' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const

const isHelp = (word: string | undefined) => word === '--help' || word === '-h' || word === 'help'

export async function migrate(argv: string[]): Promise<void> {
  if (isHelp(argv[0])) return void process.stdout.write(MIGRATE_HELP)
  const { values, positionals } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true })
  if (values.help) return void process.stdout.write(MIGRATE_HELP)
  if (positionals.length) throw new UsageError(`migrate: unexpected ${positionals.join(' ')}`)
  if (values.days !== undefined || values['dry-run'])
    throw new UsageError('migrate takes --status, not --days')
  const out = printer(values.json)
  await withDb(
    values,
    async (db) => {
      if (values.status) {
        const pending = await pendingMigrations(db.kysely)
        return out(
          { database: db.location, pending, latest: LATEST_MIGRATION },
          pending.length
            ? `${db.location}: ${pending.length} pending: ${pending.join(', ')}`
            : `${db.location} is up to date (${LATEST_MIGRATION}).`,
        )
      }
      const started = Date.now()
      const applied = await migrateToLatest(db.kysely, migrationProgress())
      const seconds = (Date.now() - started) / 1000
      out(
        { database: db.location, applied, latest: LATEST_MIGRATION, seconds },
        applied.length
          ? `${db.location}: applied ${applied.join(', ')} in ${seconds.toFixed(1)} s.`
          : `${db.location} is up to date (${LATEST_MIGRATION}).`,
      )
    },
    { migrate: false },
  )
}

export async function retention(argv: string[]): Promise<void> {
  const [sub, ...rest] = argv
  if (!sub || isHelp(sub)) return void process.stdout.write(RETENTION_HELP)
  const { values, positionals } = parseArgs({ args: rest, options: OPTIONS, allowPositionals: true })
  if (values.help) return void process.stdout.write(RETENTION_HELP)
  if (sub !== 'run') throw new UsageError(`unknown command: retention ${sub}`)
  if (positionals.length) throw new UsageError(`retention run: unexpected ${positionals.join(' ')}`)
  let days: number | null
  if (values.days !== undefined) {
    days = Number(values.days)
    if (!/^\d+$/.test(values.days) || days < 1) throw new UsageError('--days must be a whole number ≥ 1')
  } else {
    days = loadConfig(process.env, {}).retentionDays
    if (days === null) throw new UsageError('retention run needs --days N (or SIGHTLINE_RETENTION_DAYS)')
  }
  const out = printer(values.json)
  const now = Date.now()
  await withDb(values, async (db) => {
    if (values['dry-run']) {
      const would = await countRetention(db.kysely, days, now)
      return out(
        { dryRun: true, days, ...would },
        `Would delete ${would.visits.toLocaleString('en-US')} visits and ${would.visitors.toLocaleString('en-US')} ` +
          `visitors older than ${days} days.`,
      )
    }
    const line = progressLine()
    const started = Date.now()
    const show = (p: RetentionProgress) =>
      line.update(
        `retention: ${p.deletedVisits.toLocaleString('en-US')} visits deleted` +
          (p.droppedPartitions.length ? `, ${p.droppedPartitions.length} partitions dropped` : '') +
          (p.step === 'visits' ? '' : `; ${p.deletedVisitors.toLocaleString('en-US')} visitors`) +
          ` (${Math.round((Date.now() - started) / 1000)} s)`,
      )
    const r = await applyRetention(db.kysely, days, now, { onProgress: show })
    line.done()
    const seconds = (Date.now() - started) / 1000
    out(
      { days, ...r, seconds },
      `Deleted ${r.deletedVisits.toLocaleString('en-US')} visits` +
        (r.droppedPartitions.length ? ` and dropped ${r.droppedPartitions.length} monthly partitions` : '') +
        `, ${r.deletedVisitors.toLocaleString('en-US')} visitors and ${r.deletedFingerprints.toLocaleString('en-US')} ` +
        `fingerprints older than ${days} days, in ${seconds.toFixed(1)} s.`,
    )
  })
}
