import type { Kysely } from 'kysely'
import type { App } from '../store/apps.js'
import type { Database } from '../store/schema.js'

/** What the v3 and v4 Server API route plugins get from the server. */
export interface ServerApiOptions {
  db: Kysely<Database>
  /** The app whose secret key this is (constant-time), or null. */
  findAppBySecret(secret: string): Promise<App | null>
}
