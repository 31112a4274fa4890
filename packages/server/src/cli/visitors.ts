import { parseArgs } from 'node:util'
import { appExists } from '../store/apps.js'
import { type DeletedCounts, deleteVisitorData } from '../store/deletion.js'
import { DB_OPTIONS, printer, UsageError, withDb } from './common.js'

const HELP = `sightline visitors — a visitor's data

Usage:
  sightline visitors delete VISITOR_ID --app APP_ID [--json] [--data-dir DIR] [--database-url URL]

  delete   removes the visitor's visits, the identification indexes naming it, its replay nonces,
           its queued webhook deliveries and the visitor itself, at once, in one transaction.
           The same as DELETE /visitors/:id (v3) and DELETE /v4/visitors/:id.
`

const OPTIONS = {
  ...DB_OPTIONS,
  app: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const

const describe = (c: DeletedCounts) =>
  [
    `${c.visits} visits`,
    `${c.fingerprints} fingerprints`,
    `${c.fingerprintParts} fingerprint parts`,
    `${c.visitorClaims} claims`,
    `${c.payloadNonces} replay nonces`,
    `${c.webhookDeliveries} webhook deliveries`,
  ].join(', ')

export async function run(argv: string[]): Promise<void> {
  const [sub, ...rest] = argv
  const { values, positionals } = parseArgs({ args: rest, options: OPTIONS, allowPositionals: true })
  if (!sub || sub === '--help' || sub === '-h' || values.help) return void process.stdout.write(HELP)
  if (sub !== 'delete') throw new UsageError(`unknown command: visitors ${sub}`)
  const visitorId = positionals[0]
  if (!visitorId || positionals.length > 1) throw new UsageError('visitors delete needs one VISITOR_ID')
  const appId = values.app
  if (!appId) throw new UsageError('visitors delete needs --app APP_ID')
  const out = printer(values.json)
  await withDb(values, async ({ kysely }) => {
    if (!(await appExists(kysely, appId))) throw new UsageError(`no app with id ${appId}`)
    const deleted = await deleteVisitorData(kysely, appId, visitorId)
    if (!deleted) throw new UsageError(`no visitor ${visitorId} in app ${appId}`)
    out({ appId, visitorId, deleted }, `Deleted visitor ${visitorId} of app ${appId}: ${describe(deleted)}.`)
  })
}
