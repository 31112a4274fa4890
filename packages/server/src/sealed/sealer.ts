import type { Kysely } from 'kysely'
import { loadEvent } from '../events/load.js'
import { toSealedBody } from '../mappers/sealed.js'
import type { Database } from '../store/schema.js'
import { type ActiveSealedKey, activeSealedKey } from '../store/sealed-keys.js'
import { seal } from './seal.js'

/** How long a server keeps using what it read of an app's keys: a new or disabled key applies within this. */
export const SEALED_KEY_CACHE_MS = 5000
const MAX_CACHED_APPS = 10_000

/** Seals identification answers for the apps that have an active sealed-results key. */
export class Sealer {
  private readonly cache = new Map<string, { key: ActiveSealedKey | null; until: number }>()

  constructor(
    private readonly db: Kysely<Database>,
    private readonly cacheMs = SEALED_KEY_CACHE_MS,
  ) {}

  /** The app's newest active key, read at most once per cacheMs (absence is cached too). */
  async keyFor(appId: string): Promise<ActiveSealedKey | null> {
    const now = Date.now()
    const hit = this.cache.get(appId)
    if (hit && hit.until > now) return hit.key
    const key = await activeSealedKey(this.db, appId)
    if (this.cache.size >= MAX_CACHED_APPS) this.cache.clear()
    this.cache.set(appId, { key, until: now + this.cacheMs })
    return key
  }

  /**
   * base64 of the sealed event of a committed identification, in the key's format;
   * undefined when the app seals nothing (or the event is gone).
   */
  async sealedResult(appId: string, requestId: string): Promise<string | undefined> {
    const key = await this.keyFor(appId)
    if (!key) return undefined
    const event = await loadEvent(this.db, appId, requestId)
    if (!event) return undefined
    return seal(JSON.stringify(toSealedBody(event, key.format)), key.key).toString('base64')
  }
}
