// Sightline's engine in the accuracy harness: the server's own enrichment (enrichVisit), assess() and
// settle() — the functions IdentifyService calls — over the in-memory implementation of the storage
// port. Only the transaction, the visit row and sealing are left out.
import type { GeoResolver, GeoResult } from '../../packages/server/src/enrich/geo.js'
import { enrichVisit } from '../../packages/server/src/enrich/visit.js'
import { assess, LINK_ACCEPT, settle } from '../../packages/server/src/identify/identify.js'
import { LINK_MODELS, type LinkModels } from '../../packages/server/src/identify/links.js'
import { MemoryIdentityStore } from '../../packages/server/src/identify/memory-store.js'
import { issueToken, verifyToken } from '../../packages/server/src/identify/token.js'
import type { Identifier, SimVisit } from './types.js'

/**
 * The simulated internet's address registry as a GeoResolver: what DB-IP and the ASN table are to
 * real addresses. The harness registers each visit's address with the network the simulation put it in.
 */
export class SimulatedGeo implements GeoResolver {
  private readonly owners = new Map<string, { asn: number; country: string }>()
  register(ip: string, asn: number, country: string) {
    this.owners.set(ip, { asn, country })
  }
  lookup(ip: string): GeoResult {
    const o = this.owners.get(ip)
    if (!o) return { ipLocation: null, asn: null, ipVersion: 4 }
    const ipLocation = {
      accuracyRadius: null,
      city: { name: null },
      continent: { code: null, name: null },
      country: { isoCode: o.country, name: null },
      latitude: null,
      longitude: null,
      organization: { domain: null, isp: null, legalName: null, name: null },
      postalCode: null,
      subdivisions: [],
      timeZone: null,
    }
    return { ipLocation, asn: { asn: o.asn, name: `AS${o.asn}`, network: null }, ipVersion: 4 }
  }
  info() {
    return { cityDbBuildDate: 'simulated', asnDataVersion: 'simulated', sources: ['bench:accuracy'] }
  }
  close() {}
}

const APP = 'bench'
const SECRET = 'bench-accuracy-token-secret'

export interface OursOptions {
  name?: string
  /** Link-model coefficients to use instead of the shipped ones (fitting). */
  models?: LinkModels
  /** LINK_ACCEPT to use instead of the shipped one (tuning). */
  accept?: number
}

export function createOurs(opts: OursOptions = {}): Identifier & { store: MemoryIdentityStore } {
  const store = new MemoryIdentityStore()
  const geo = new SimulatedGeo()
  let next = 0
  const newId = () => `v${(next++).toString(36).padStart(19, '0')}`
  return {
    name: opts.name ?? 'Sightline',
    store,
    async identify(visit: Omit<SimVisit, 'truth' | 'events'>, storedId: string | null) {
      const ts = visit.t * 1000
      geo.register(visit.ip, visit.asn, visit.country)
      const e = enrichVisit(geo, visit.ip, visit.components, undefined)
      const a = await assess(
        store,
        {
          appId: APP,
          components: visit.components,
          token: verifyToken(SECRET, APP, storedId),
          ip: e.ip,
          asn: e.geo.asn?.asn ?? null,
          country: e.geo.ipLocation?.country.isoCode ?? null,
          browser: e.details.browserName,
          majorVersion: e.details.browserMajorVersion,
          os: e.details.os,
          ts,
        },
        opts.models ?? LINK_MODELS,
        opts.accept ?? LINK_ACCEPT,
      )
      const s = await settle(store, APP, a, newId, ts)
      return {
        visitorId: s.visitorId,
        storedId: issueToken(SECRET, APP, s.visitorId, Math.floor(visit.t)),
        confidence: s.joined ? 0.9 : a.confidence,
        path: a.decision.path,
        candidates: a.links,
        features: a.scored,
        context: a.context,
      }
    },
  }
}
