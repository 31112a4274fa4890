import type { Kysely, Transaction } from 'kysely'
import type { Database } from './schema.js'

type Work<T> = (trx: Transaction<Database>) => Promise<T>

/**
 * Errors after which the same transaction may succeed: PostgreSQL's deadlock and serialization failures
 * (several processes' batches lock the same visitors in different orders) and SQLite's busy database.
 */
const TRANSIENT = new Set(['40P01', '40001', 'SQLITE_BUSY', 'SQLITE_BUSY_SNAPSHOT'])
export const isTransient = (err: unknown): boolean =>
  TRANSIENT.has(String((err as { code?: unknown } | null)?.code ?? ''))

/** Attempts of one write on its own before its error is the caller's. */
export const MAX_ATTEMPTS = 5
const backoff = (attempt: number) =>
  new Promise<void>((r) => setTimeout(r, Math.random() * 10 * 2 ** attempt))

interface Pending {
  work: Work<unknown>
  resolve(value: unknown): void
  reject(err: unknown): void
}

/**
 * Group commit: writes that arrive together share one transaction, so the pages they touch are
 * written (and synced) once per batch instead of once per request. Each caller still resolves only
 * after its batch has committed. Work may run twice (alone, after a failed batch): keep it
 * free of side effects outside the database and return what it decided.
 */
export class GroupCommit {
  private queue: Pending[] = []
  private scheduled = false

  constructor(
    private readonly db: Kysely<Database>,
    private readonly maxBatch = 128,
  ) {}

  run<T>(work: Work<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ work, resolve: resolve as (v: unknown) => void, reject })
      if (!this.scheduled) {
        this.scheduled = true
        setImmediate(() => void this.flush())
      }
    })
  }

  private async flush(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.maxBatch)
      try {
        const results: unknown[] = []
        await this.db.transaction().execute(async (trx) => {
          for (const item of batch) results.push(await item.work(trx))
        })
        for (const [i, item] of batch.entries()) item.resolve(results[i])
      } catch {
        // One failing write must not fail its neighbours: retry each on its own.
        for (const item of batch) await this.alone(item)
      }
    }
    this.scheduled = false
  }

  private async alone(item: Pending): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        item.resolve(await this.db.transaction().execute((trx) => item.work(trx)))
        return
      } catch (err) {
        if (attempt >= MAX_ATTEMPTS || !isTransient(err)) return item.reject(err)
        await backoff(attempt)
      }
    }
  }
}
