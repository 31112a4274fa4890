import type { Kysely, Transaction } from 'kysely'
import type { Database } from './schema.js'

type Work<T> = (trx: Transaction<Database>) => Promise<T>

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
        for (const item of batch) {
          try {
            item.resolve(await this.db.transaction().execute((trx) => item.work(trx)))
          } catch (err) {
            item.reject(err)
          }
        }
      }
    }
    this.scheduled = false
  }
}
