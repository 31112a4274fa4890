import { CompiledQuery, type Kysely, PostgresAdapter, type QueryResult } from 'kysely'

/**
 * The identification hot path's statements, written once as fixed SQL (with `?` placeholders) instead of
 * built by Kysely's query builder on every request: building and compiling a query cost more CPU than
 * SQLite running it (docs/benchmarks.md, bench:ingest profiles). Each still runs through Kysely's
 * executor, so it takes part in the caller's transaction and connection queue like any other query.
 * SQLite keeps its prepared statement (store/db.ts); on PostgreSQL the text is registered below, and
 * db.ts's client prepares it once per connection under a name.
 */
const registered = new Map<string, string>()

/** The PostgreSQL statement name of this text (`$n` placeholders), if it is one of the hot statements. */
export const preparedName = (text: string): string | undefined => registered.get(text)

export interface Statement<R> {
  (db: Kysely<any>, params: readonly unknown[]): Promise<QueryResult<R>>
  readonly sql: string
}

export function statement<R = Record<string, unknown>>(text: string): Statement<R> {
  let n = 0
  const pgText = text.replace(/\?/g, () => `$${++n}`)
  if (!registered.has(pgText)) registered.set(pgText, `sl_${registered.size}`)
  const run = (db: Kysely<any>, params: readonly unknown[]) =>
    db.executeQuery<R>(
      CompiledQuery.raw(
        db.getExecutor().adapter instanceof PostgresAdapter ? pgText : text,
        params as unknown[],
      ),
    )
  return Object.assign(run, { sql: text })
}

/** Statements whose text depends on a list's length (`in (?, ?, …)`, multi-row values): one per length. */
export function statementFor<R = Record<string, unknown>>(
  build: (n: number) => string,
  max = 256,
): (n: number) => Statement<R> {
  const byLength = new Map<number, Statement<R>>()
  return (n) => {
    let s = byLength.get(n)
    if (!s) {
      s = statement<R>(build(n))
      // Past `max` lengths (never on the hot path) each text is still run, just not kept.
      if (byLength.size < max) byLength.set(n, s)
    }
    return s
  }
}

/** `?, ?, ?` */
export const marks = (n: number, group = '?') => Array.from({ length: n }, () => group).join(', ')
