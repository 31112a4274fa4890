import { STABLE_COMPONENTS } from '@sightline/agent/stable'
import type { Kysely } from 'kysely'
import { assessBot } from './enrich/bots.js'
import type { GeoResolver } from './enrich/geo.js'
import { detectIncognito } from './enrich/incognito.js'
import { parseVisitorDetails } from './enrich/user-agent.js'
import { botResult } from './events/bot-result.js'
import { toV3Geolocation } from './events/geolocation.js'
import { type Candidate, decide } from './identify/engine.js'
import { type Components, computeFingerprint } from './identify/fingerprint.js'
import { newRequestId, newVisitorId } from './identify/ids.js'
import { buildProfile, claimKey } from './identify/profile.js'
import { issueToken, type TokenKeys, verifyToken } from './identify/token.js'
import { trustStoredId } from './identify/trust.js'
import { Sealer } from './sealed/sealer.js'
import type { App } from './store/apps.js'
import { GroupCommit } from './store/group-commit.js'
import {
  claimVisitor,
  exactCandidates,
  loadProfile,
  lockVisitor,
  rememberVisitor,
  similarCandidates,
} from './store/identity.js'
import { checkReplay } from './store/replay.js'
import type { Database } from './store/schema.js'
import { insertVisit, visitorSeen } from './store/visits.js'
import { enqueueDeliveries } from './store/webhooks.js'
import { nowMicros } from './util/random.js'

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

export interface IdentifyResult {
  requestId: string
  visitorId: string
  visitorFound: boolean
  confidence: { score: number }
  storedId: string
  /** base64 of the sealed event, when the app has an active sealed-results key. */
  sealedResult?: string
  /** With `extendedResult`: what the commercial agent's extended result carries. */
  incognito?: boolean
  browserName?: string | null
  browserVersion?: string | null
  os?: string | null
  osVersion?: string | null
  device?: string | null
  ip?: string
  ipLocation?: ReturnType<typeof toV3Geolocation> | null
  firstSeenAt?: { global: string | null; subscription: string | null }
  lastSeenAt?: { global: string | null; subscription: string | null }
}

/** `::ffff:1.2.3.4` is an IPv4 client seen through a dual-stack socket. */
export function normalizeIp(ip: string): string {
  const m = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(ip)
  return m?.[1] ?? ip
}

const componentValue = (c: Components, name: string): unknown => {
  const entry = c[name]
  return entry && 'value' in entry ? entry.value : undefined
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
    const fingerprint = computeFingerprint(input.components, STABLE_COMPONENTS)
    const keys = await this.tokenKeys()
    const verified = verifyToken(keys.verify, appId, input.storedId, {
      nowMs: Math.floor(ts / 1000),
      maxAgeMs: keys.maxAgeMs,
    })

    const ip = normalizeIp(ctx.ip)
    const geo = this.geo.lookup(ip)
    const agentUa = componentValue(input.components, 'userAgent')
    const userAgent = typeof agentUa === 'string' ? agentUa : ctx.headerUserAgent
    const uaHints = componentValue(input.components, 'uaHints')
    const details = parseVisitorDetails(userAgent, (uaHints ?? null) as never)
    const incognito = detectIncognito(componentValue(input.components, 'incognito'), details.browserName)
    const bot = assessBot({
      userAgent: typeof agentUa === 'string' ? agentUa : undefined,
      headerUserAgent: ctx.headerUserAgent ?? null,
      webdriver: componentValue(input.components, 'webdriver'),
      uaHints,
      components: input.components,
      replayOf: await checkReplay(db, appId, input.components, input.storedId, requestId, ts),
    })

    const profile = buildProfile({
      components: input.components,
      stableNames: STABLE_COMPONENTS,
      fingerprint,
      browser: details.browserName,
      majorVersion: details.browserMajorVersion,
      os: details.os,
      ip,
      asn: geo.asn?.asn ?? null,
      country: geo.ipLocation?.country.isoCode ?? null,
      ts,
    })
    const { parts } = profile
    const [issuedTo, exact] = await Promise.all([
      verified.status === 'valid' ? loadProfile(db, appId, verified.visitorId) : Promise.resolve(undefined),
      exactCandidates(db, appId, fingerprint),
    ])
    const token = trustStoredId(verified, issuedTo, profile)
    const tokenProfile = token.status === 'valid' ? issuedTo : undefined
    const evidence = { token, tokenProfile, current: profile, exact, similar: [] as Candidate[] }
    // Without a stored identifier, who else renders alike decides how far a fingerprint match may reach.
    if (!(token.status === 'valid' && tokenProfile !== undefined)) {
      evidence.similar = await similarCandidates(db, appId, parts)
    }
    const decision = decide(evidence)
    const previous =
      decision.visitorId === null
        ? null
        : token.status === 'valid' && decision.visitorId === token.visitorId
          ? tokenProfile
          : [...exact, ...evidence.similar].find((c) => c.visitorId === decision.visitorId)?.profile

    const candidate = decision.visitorId ?? newVisitorId()
    const record = (visitorId: string, joined: boolean, restarted: boolean) => {
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
        ip_location: geo.ipLocation ? JSON.stringify(geo.ipLocation) : null,
        visitor_details: JSON.stringify({
          ...details,
          incognito,
          userAgent: userAgent ?? null,
          asn: geo.asn,
        }),
        components: JSON.stringify(input.components),
        identification: JSON.stringify({
          path: restarted ? 'new' : joined ? 'fingerprint' : decision.path,
          confidence: restarted ? 1 : joined ? 0.9 : decision.confidence,
          reasons,
          storedId: token.status,
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
        bot: JSON.stringify(bot),
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
    const written = await this.writes.run(async (trx) => {
      let fresh = candidate
      let prev = previous
      // A privacy deletion may have removed the matched visitor since the decision: never bring its id back.
      const restarted = decision.visitorId !== null && !(await lockVisitor(trx, appId, decision.visitorId))
      if (restarted) {
        fresh = newVisitorId()
        prev = null
      }
      let id = fresh
      if (decision.visitorId === null || restarted) {
        // Another request of the same browser may have created the visitor a moment ago.
        id = await claimVisitor(trx, appId, claimKey(fingerprint, ip), fresh, ts)
        if (id !== fresh) prev = await loadProfile(trx, appId, id)
      }
      const joined = id !== fresh
      await rememberVisitor(trx, appId, id, profile, prev, ts)
      await insertVisit(trx, record(id, joined, restarted && !joined))
      await enqueueDeliveries(trx, { appId, requestId, visitorId: id, ts })
      return { id, joined, restarted: restarted && !joined }
    })
    const { id: visitorId, joined, restarted } = written
    this.observe?.(
      restarted ? 'new' : joined ? 'fingerprint' : decision.path,
      botResult(bot, userAgent).result,
    )
    const visitorFound = restarted ? false : decision.visitorFound || joined
    const confidence = restarted ? 1 : joined ? 0.9 : decision.confidence
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
    // Visitors are per app here; "global" (across every customer of a SaaS) has no meaning: null.
    const iso = (us: number | undefined) =>
      us === undefined ? null : new Date(Math.floor(us / 1000)).toISOString()
    return {
      ...result,
      incognito,
      browserName: details.browserName,
      browserVersion: details.browserFullVersion,
      os: details.os,
      osVersion: details.osVersion,
      device: details.device,
      ip,
      ipLocation: geo.ipLocation ? toV3Geolocation(geo.ipLocation) : null,
      firstSeenAt: {
        global: null,
        subscription: iso(joined || restarted ? undefined : seen?.first_seen_at) ?? iso(ts),
      },
      lastSeenAt: { global: null, subscription: iso(joined || restarted ? undefined : seen?.last_seen_at) },
    }
  }
}
