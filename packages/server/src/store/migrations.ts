import { type Kysely, type Migration, type MigrationProvider, Migrator, PostgresAdapter, sql } from 'kysely'
import * as m0001 from './migrations/0001_initial.js'
import * as m0002 from './migrations/0002_replay.js'
import * as m0003 from './migrations/0003_server_apis.js'
import * as m0004 from './migrations/0004_value_counts.js'
import * as m0005 from './migrations/0005_webhook_allow_private.js'
import * as m0006 from './migrations/0006_dashboard.js'

const isPostgres = (db: Kysely<any>) => db.getExecutor().adapter instanceof PostgresAdapter

// One frozen file per migration (migrations/), each working on SQLite and PostgreSQL.
const migrations: Record<string, Migration> = {
  '0001_initial': m0001,
  '0002_replay': m0002,
  '0003_server_apis': m0003,
  '0004_value_counts': m0004,
  '0005_webhook_allow_private': m0005,
  '0006_dashboard': m0006,
}

export const LATEST_MIGRATION = Object.keys(migrations).sort().at(-1)!

class StaticProvider implements MigrationProvider {
  async getMigrations() {
    return migrations
  }
}

/**
 * On PostgreSQL the migration tables live in the schema the connection uses (its search_path).
 * Left unset, Kysely looks for them in every schema it can see, so another schema's
 * kysely_migration table (another install, or a test) would pass for this one's.
 */
async function migrationTableSchema(db: Kysely<any>): Promise<string | undefined> {
  if (!isPostgres(db)) return undefined
  const { rows } = await sql<{ schema: string | null }>`select current_schema() as schema`.execute(db)
  const schema = rows[0]?.schema
  if (!schema) throw new Error('PostgreSQL: no schema on the search_path exists to hold the tables')
  return schema
}

/**
 * Kysely's migrator asks whether its tables exist by listing every table of every schema. On
 * PostgreSQL that catalogue-wide query fails when another process drops a schema meanwhile, and it
 * could see another schema's tables: the migrator gets an introspector that looks in this
 * connection's own schema only.
 */
function ownSchemaOnly(db: Kysely<any>): Kysely<any> {
  const introspection = {
    async getSchemas() {
      const { rows } = await sql<{ name: string }>`select current_schema() as name`.execute(db)
      return rows.filter((r) => r.name !== null)
    },
    async getTables() {
      const { rows } = await sql<{ name: string; schema: string }>`
        select c.relname as name, n.nspname as schema from pg_class c
        join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = current_schema() and c.relkind in ('r', 'p')`.execute(db)
      return rows.map((r) => ({ ...r, isView: false, columns: [] }))
    },
  }
  return new Proxy(db, {
    get(target, prop) {
      if (prop === 'introspection') return introspection
      const value = Reflect.get(target, prop, target)
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
}

export async function migrator(db: Kysely<any>): Promise<Migrator> {
  const schema = await migrationTableSchema(db)
  return new Migrator({
    db: schema ? ownSchemaOnly(db) : db,
    provider: new StaticProvider(),
    ...(schema ? { migrationTableSchema: schema } : {}),
  })
}

/** What `migrateToLatest` reports: a migration about to run, then the same one done. */
export type MigrationProgress =
  | { phase: 'start'; name: string; index: number; total: number }
  | { phase: 'done'; name: string; index: number; total: number; ms: number }

/**
 * Applies the pending migrations one at a time, each in its own transaction where the database
 * allows, so a long one can be reported while it runs. Safe from several processes at once:
 * Kysely's lock serialises them and each step runs whatever is still pending.
 */
export async function migrateToLatest(
  db: Kysely<any>,
  onProgress: (p: MigrationProgress) => void = () => {},
): Promise<string[]> {
  const m = await migrator(db)
  const pending = await pendingMigrations(db, m)
  const applied: string[] = []
  for (let index = 1; index <= pending.length; index++) {
    const name = pending[index - 1] as string
    const total = pending.length
    onProgress({ phase: 'start', name, index, total })
    const started = performance.now()
    const { error, results } = await m.migrateUp()
    const failed = results?.find((r) => r.status === 'Error')
    if (error || failed) {
      throw new Error(
        `database migration failed${failed ? ` at ${failed.migrationName}` : ''}: ${String(error)}`,
        { cause: error },
      )
    }
    // Another process may have applied it meanwhile; then nothing (or a later one) ran here.
    for (const r of results ?? []) if (r.status === 'Success') applied.push(r.migrationName)
    onProgress({ phase: 'done', name, index, total, ms: performance.now() - started })
    if (!results?.length) break
  }
  return applied
}

export async function pendingMigrations(db: Kysely<any>, m?: Migrator): Promise<string[]> {
  const all = await (m ?? (await migrator(db))).getMigrations()
  return all.filter((m) => m.executedAt === undefined).map((m) => m.name)
}

export async function ping(db: Kysely<any>): Promise<void> {
  await sql`select 1`.execute(db)
}
