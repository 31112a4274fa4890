/**
 * Our event shapes against the official SDKs' own types: these assignments are checked by
 * `tsc -p packages/server` (test/ is in its program). Where we deliberately leave out a field the
 * SDK type marks required (docs/events.md says why), the relaxation is spelled out here, field by field.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { Event as V4SdkEvent } from '@fingerprint/node-sdk'
import type {
  EventsGetResponse,
  SearchEventsResponse,
  VisitorsResponse,
  Webhook,
} from '@fingerprintjs/fingerprintjs-pro-server-api'
import { toV3Event, toV3Visit, toV3Webhook, toV4Event, type V3Products } from '../../src/events/index.js'
import { event } from './fixtures.js'

type Products = EventsGetResponse['products']
type Data<P> = NonNullable<P> extends { data?: infer D } ? NonNullable<D> : never
type SdkTampering = Data<Products['tampering']>
type SdkVpn = Data<Products['vpn']>

/** Tampering without the ML fields (no model); vpn with only the methods we evaluate. */
type OurVpn = Omit<SdkVpn, 'originTimezone' | 'originCountry' | 'methods'> &
  Partial<Pick<SdkVpn, 'originTimezone' | 'originCountry'>> & { methods: Partial<SdkVpn['methods']> }
type RelaxedProducts = Omit<Products, 'tampering' | 'vpn'> & {
  tampering?: { data?: Omit<SdkTampering, 'mlScore' | 'antiDetectBrowser'> }
  vpn?: { data?: OurVpn }
}
type RelaxedWebhook = Omit<Webhook, 'vpn'> & { vpn?: Partial<OurVpn> }

// Every product name we may send exists in the SDK's Products.
const noExtraProducts: [Exclude<keyof V3Products, keyof Products>] extends [never] ? true : false = true

describe('event shapes match the SDK types', () => {
  const e = event({ row: { tag: '{"order":42}', linked_id: 'acct-1' } })

  it('v3 event, search page and webhook', () => {
    const v3: { products: RelaxedProducts } = toV3Event(e)
    const page: { events?: { products: RelaxedProducts }[]; paginationKey?: string } = { events: [v3] }
    const hook: RelaxedWebhook = toV3Webhook(e)
    // Products that need no relaxation at all are exactly the SDK's.
    const identification: Products['identification'] = v3.products.identification
    const botd: Products['botd'] = v3.products.botd
    const ipInfo: Products['ipInfo'] = v3.products.ipInfo
    const velocity: Products['velocity'] = v3.products.velocity
    const rest: Pick<
      Products,
      'incognito' | 'virtualMachine' | 'privacySettings' | 'highActivity' | 'suspectScore'
    > = v3.products
    const sdkPage: Omit<SearchEventsResponse, 'events'> = page
    assert.ok(identification && botd && ipInfo && velocity && rest && sdkPage && hook && noExtraProducts)
  })

  it('v3 visit (GET /visitors/:id)', () => {
    const visit: VisitorsResponse['visits'][number] = toV3Visit(e.row, e)
    assert.equal(visit.requestId, e.row.request_id)
  })

  it('v4 event', () => {
    const v4: V4SdkEvent = toV4Event(e)
    assert.equal(v4.event_id, e.row.request_id)
  })
})
