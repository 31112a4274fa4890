import type { Kysely } from 'kysely'
import { assessBot } from './enrich/bots.js'
import type { GeoResolver } from './enrich/geo.js'
import { detectIncognito } from './enrich/incognito.js'
import { componentValue, enrichVisit } from './enrich/visit.js'
import { botResult } from './events/bot-result.js'
import type { Components } from './identify/fingerprint.js'
import { assess, settle } from './identify/identify.js'
import { newRequestId, newVisitorId } from './identify/ids.js'
import { issueToken, type TokenKeys, verifyToken } from './identify/token.js'
import { type IdentifyResult, toExtendedResult } from './mappers/agent.js'
import type { BotAssessment, Identification, IpLocation, VisitorDetails } from './schemas/stored.js'
import { Sealer } from './sealed/sealer.js'
import type { App } from './store/apps.js'
import { GroupCommit } from './store/group-commit.js'
import { KyselyIdentityStore } from './store/identity.js'
import { toJson } from './store/json.js'
import { checkReplay } from './store/replay.js'
import type { Database } from './store/schema.js'
import { insertVisit, visitorSeen } from './store/visits.js'
import { enqueueDeliveries } from './store/webhooks.js'
import { nowMicros } from './util/random.js'

export { normalizeIp } from './enrich/visit.js'
export type { IdentifyResult }

export interface IdentifyInput {
  storedId?: string | null | undefined
  url: string
  tag?: unknown
  linkedId?: string | undefined
  extendedResult?: boolean | undefined
  components: Components
}

export interface IdentifyContext {
  app: App
  ip: string
  headerUserAgent: string | undefined
}

export class IdentifyService {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly geo: GeoResolver,
    private readonly tokenKeys: () => Promise<TokenKeys>,
    /** Told how each answered identification was decided (for /metrics). */
    private readonly observe?: (path: string, bot: string) => void,
  ) {
    this.writes = new GroupCommit(db)
    this.sealer = new Sealer(db)
  }

  private readonly writes: GroupCommit
  private readonly sealer: Sealer

  async identify(input: IdentifyInput, ctx: IdentifyContext): Promise<IdentifyResult> {
    const { db } = this
    const appId = ctx.app.id
    const ts = nowMicros()
    const requestId = newRequestId(Math.floor(ts / 1000))
    const keys = await this.tokenKeys()
    const token = verifyToken(keys.verify, appId, input.storedId, {
      nowMs: Math.floor(ts / 1000),
      maxAgeMs: keys.maxAgeMs,
    })
    const { ip, geo, userAgent, agentUserAgent, uaHints, details } = enrichVisit(
      this.geo,
      ctx.ip,
      input.components,
      ctx.headerUserAgent,
    )
    const incognito = detectIncognito(componentValue(input.components, 'incognito'), details.browserName)
    const botInput = {
      userAgent: agentUserAgent,
      headerUserAgent: ctx.headerUserAgent ?? null,
      webdriver: componentValue(input.components, 'webdriver'),
      uaHints,
      components: input.components,
    }
    // Assessed without the replay check, which is made inside the visit's transaction (below): a
    // replayed payload is assessed again with it.
    const unreplayed = assessBot(botInput)

    const assessment = await assess(new KyselyIdentityStore(db), {
      appId,
      components: input.components,
      token,
      ip,
      asn: geo.asn?.asn ?? null,
      country: geo.ipLocation?.country.isoCode ?? null,
      browser: details.browserName,
      majorVersion: details.browserMajorVersion,
      os: details.os,
      ts,
    })
    const { decision, fingerprint, links } = assessment
    const record = (visitorId: string, joined: boolean, restarted: boolean, bot: BotAssessment) => {
      const reasons = restarted
        ? [...decision.reasons, 'the matched visitor was deleted meanwhile: a new visitor']
        : joined
          ? [...decision.reasons, 'fingerprint and network claimed concurrently: joined that visitor']
          : decision.reasons
      return {
        request_id: requestId,
        app_id: appId,
        visitor_id: visitorId,
        ts,
        fingerprint,
        url: input.url,
        ip,
        tag: input.tag === undefined ? null : JSON.stringify(input.tag),
        linked_id: input.linkedId ?? null,
        ip_location: geo.ipLocation ? toJson<IpLocation>(geo.ipLocation) : null,
        visitor_details: toJson<VisitorDetails>({
          ...details,
          incognito,
          userAgent: userAgent ?? null,
          asn: geo.asn,
        }),
        components: toJson<Components>(input.components),
        identification: toJson<Identification>({
          path: restarted ? 'new' : joined ? 'fingerprint' : decision.path,
          confidence: restarted ? 1 : joined ? 0.9 : assessment.confidence,
          reasons,
          storedId: assessment.token.status,
          // Without a valid stored identifier: who this browser probably is (identify/links.ts).
          ...(decision.path === 'storedId' ? {} : { candidates: links }),
          ...(decision.comparison && !joined && !restarted
            ? {
                comparedWith: decision.comparison.visitorId,
                similarity: decision.comparison.similarity,
                score: decision.comparison.score,
                matched: decision.comparison.matched,
                differed: decision.comparison.differed,
              }
            : {}),
        }),
        bot: toJson<BotAssessment>(bot),
        suspect: 0,
        bot_result: botResult(bot, userAgent).result,
      }
    }
    // Read before the write: lastSeenAt is the visit before this one.
    const seen =
      input.extendedResult && decision.visitorId !== null
        ? await visitorSeen(db, appId, decision.visitorId)
        : undefined
    // All writes of one identification commit together, batched with concurrent ones.
    // The payload's replay check is one of them: one commit per batch, not one more per request.
    const written = await this.writes.run(async (trx) => {
      const replayOf = await checkReplay(trx, appId, input.components, input.storedId, requestId, ts)
      const bot = replayOf ? assessBot({ ...botInput, replayOf }) : unreplayed
      const r = await settle(new KyselyIdentityStore(trx), appId, assessment, newVisitorId, ts)
      await insertVisit(trx, record(r.visitorId, r.joined, r.restarted, bot))
      await enqueueDeliveries(trx, { appId, requestId, visitorId: r.visitorId, ts })
      return { ...r, bot }
    })
    const { visitorId, joined, restarted, bot } = written
    this.observe?.(
      restarted ? 'new' : joined ? 'fingerprint' : decision.path,
      botResult(bot, userAgent).result,
    )
    const visitorFound = restarted ? false : decision.visitorFound || joined
    const confidence = restarted ? 1 : joined ? 0.9 : assessment.confidence
    // After the commit: the sealed event is the one the Server APIs serve.
    const sealedResult = await this.sealer.sealedResult(appId, requestId)

    const result: IdentifyResult = {
      requestId,
      visitorId,
      visitorFound,
      confidence: { score: confidence },
      storedId: issueToken(keys.issue, appId, visitorId, Math.floor(ts / 1000)),
      ...(sealedResult === undefined ? {} : { sealedResult }),
    }
    if (!input.extendedResult) return result
    const before = joined || restarted ? undefined : seen
    return toExtendedResult(result, {
      incognito,
      details,
      ip,
      ipLocation: geo.ipLocation,
      ts,
      firstSeenAt: before?.first_seen_at,
      lastSeenAt: before?.last_seen_at,
    })
  }
}
