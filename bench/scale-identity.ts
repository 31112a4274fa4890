// The identity rows of bench:scale's loaded visitors, written by the server's own functions (the ones
// pipeline.ts calls): each visitor's claim from its first visit, its stored profile and candidate-index
// rows (fingerprints, fingerprint_parts) from the last visit with each fingerprint it showed, and the
// replay keys of the visits a running server still holds (it prunes those older than its window).
// Whatever those functions write (tables added to the engine included), the loaded store has.
import { STABLE_COMPONENTS } from '@sightline/agent/stable'
import { buildProfile, claimKey, type StoredProfile } from '../packages/server/dist/identify/profile.js'
import { issueToken } from '../packages/server/dist/identify/token.js'
import { type Db, openDatabase } from '../packages/server/dist/store/db.js'
import { claimVisitor, rememberVisitor } from '../packages/server/dist/store/identity.js'
import { checkReplay, REPLAY_WINDOW_MICROS } from '../packages/server/dist/store/replay.js'
import { type Dataset, device, type StageData, type VisitRef } from './scale-data.js'
import type { DbKind, Progress } from './scale-db.js'

interface Details {
  browserName: string | null
  browserMajorVersion: string | null
  os: string | null
}

/** Rows the loader will write for a stage, for the progress bar: one per visitor, one per recent visit. */
export const identityWork = (stage: StageData) =>
  stage.histories.length + stage.recentVisits(REPLAY_WINDOW_MICROS).length

export class IdentityLoader {
  private readonly db: Db
  private readonly countryOf: (string | null)[]

  constructor(
    private readonly kind: DbKind,
    url: string,
    private readonly ds: Dataset,
    private readonly tokenSecret: string,
  ) {
    this.db = openDatabase({ databaseUrl: url, dataDir: '', poolSize: 4 })
    this.countryOf = ds.templates!.ipLocation.map((j) => {
      const loc = j ? (JSON.parse(j) as { country?: { isoCode?: string } }) : null
      return loc?.country?.isoCode ?? null
    })
  }

  /** The profile the pipeline builds for this visit (enrichment from what the server wrote at calibration). */
  private profile(ref: VisitRef): { profile: StoredProfile; ip: string } {
    const ds = this.ds
    const t = ds.templates!
    const comps = ds.visitComponents(ref.v, ref.version, ref.ts, ref.salt)
    const { ip, ipIdx } = ds.visitIp(ref.v, ref.salt)
    const details = t.details[device(ref.v, ref.version).family] as unknown as Details
    const asn = t.asn[ipIdx] as { asn?: number } | null
    const profile = buildProfile({
      components: comps,
      stableNames: STABLE_COMPONENTS,
      fingerprint: ds.fingerprint(ref.v, ref.version),
      browser: details.browserName,
      majorVersion: details.browserMajorVersion,
      os: details.os,
      ip,
      asn: asn?.asn ?? null,
      country: this.countryOf[ipIdx] ?? null,
      ts: ref.ts,
    })
    return { profile, ip }
  }

  /** Writes the stage's identity rows; returns the seconds spent. */
  async load(stage: StageData, progress: Progress): Promise<number> {
    const t0 = performance.now()
    const { kysely } = this.db
    const appId = this.ds.appId
    const ids = this.ds.visitorIds
    // SQLite has one writer: big transactions on one connection. PostgreSQL: a few connections at once.
    const batch = this.kind === 'sqlite' ? 500 : 200
    const workers = this.kind === 'sqlite' ? 1 : 3
    const hs = stage.histories
    let next = 0
    const worker = async () => {
      while (next < hs.length) {
        const chunk = hs.slice(next, next + batch)
        next += batch
        await kysely.transaction().execute(async (trx) => {
          for (const h of chunk) {
            const visitorId = ids[h.v]!
            const first = this.profile(h.first)
            await claimVisitor(
              trx,
              appId,
              claimKey(first.profile.fingerprint, first.ip),
              visitorId,
              h.first.ts,
            )
            let prev: StoredProfile | null = null
            for (const ref of [h.lastV0, h.lastV1]) {
              if (!ref) continue
              const { profile } = ref.salt === h.first.salt ? first : this.profile(ref)
              await rememberVisitor(trx, appId, visitorId, profile, prev, ref.ts)
              prev = profile
            }
          }
        })
        progress.tick(chunk.length)
      }
    }
    await Promise.all(Array.from({ length: workers }, worker))

    // Replay keys, in time order (checkReplay prunes behind itself as the server's does).
    const recent = stage.recentVisits(REPLAY_WINDOW_MICROS)
    for (let i = 0; i < recent.length; i += 1000) {
      const chunk = recent.slice(i, i + 1000)
      await kysely.transaction().execute(async (trx) => {
        for (const ref of chunk) {
          const row = this.ds.visit(ref.v, ref.ts, ref.version, ref.isFirst, ref.salt)
          const sent = (JSON.parse(row.identification) as { storedId: string }).storedId === 'valid'
          const storedId = sent
            ? issueToken(this.tokenSecret, appId, row.visitor_id, Math.floor(ref.ts / 1000) - 86_400_000)
            : null
          await checkReplay(trx, appId, JSON.parse(row.components), storedId, row.request_id, ref.ts)
        }
      })
      progress.tick(chunk.length)
    }
    return (performance.now() - t0) / 1000
  }

  close() {
    return this.db.close()
  }
}
