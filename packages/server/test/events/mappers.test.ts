import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { toV3Event, toV3Visit, toV3Webhook, toV4Event } from '../../src/events/index.js'
import { HIGH_ACTIVITY_DAILY_EVENTS } from '../../src/events/signals.js'
import { HISTORY_COLUMNS, type HistoryRow } from '../../src/store/visits.js'
import { CHROME_UA, type EventOptions, event, location, quietVelocity, TS } from './fixtures.js'

const v3 = (o: EventOptions = {}) => toV3Event(event(o)).products
const reasons = (...signals: string[]) => ({ reasons: signals.map((signal) => ({ signal, weight: 0.5 })) })

describe('identification', () => {
  it('is the visit plus visitorId, replayed and suspect, with µs times as ms and ISO', () => {
    const e = event({ row: { linked_id: 'acct-7', suspect: 1 }, bot: { replayOf: '1700000000000.abcdef' } })
    const id = toV3Event(e).products.identification!.data!
    assert.equal(id.visitorId, e.row.visitor_id)
    assert.equal(id.requestId, e.row.request_id)
    assert.equal(id.timestamp, Math.floor(TS / 1000))
    assert.equal(id.time, new Date(Math.floor(TS / 1000)).toISOString())
    assert.equal(id.replayed, true)
    assert.equal(id.suspect, true)
    assert.equal(id.linkedId, 'acct-7')
    assert.deepEqual(id.confidence, { score: 1 })
    assert.equal(id.visitorFound, true)
    assert.deepEqual(id.firstSeenAt, {
      global: null,
      subscription: new Date((TS - 3 * 86_400_000_000) / 1000).toISOString(),
    })
    assert.deepEqual(id.lastSeenAt, {
      global: null,
      subscription: new Date(Math.floor((TS - 3_600_000_000) / 1000)).toISOString(),
    })
    assert.equal(id.browserDetails.userAgent, CHROME_UA)
    assert.equal(id.ipLocation?.accuracyRadius, 32) // 20 miles
    assert.deepEqual(id.ipLocation?.country, { code: 'US', name: 'United States' })
  })

  it('a new visitor: not found, no last visit; not replayed, not suspect, no linkedId', () => {
    const id = v3({ identification: { path: 'new', confidence: 1 }, lastSeenAt: null }).identification!.data!
    assert.equal(id.visitorFound, false)
    assert.deepEqual(id.lastSeenAt, { global: null, subscription: null })
    assert.equal(id.replayed, false)
    assert.equal(id.suspect, false)
    assert.equal('linkedId' in id, false)
  })

  it('the tag is an object: objects as given, simple values wrapped, none as {}', () => {
    assert.deepEqual(v3({ row: { tag: '{"a":{"b":1}}' } }).identification!.data!.tag, { a: { b: 1 } })
    assert.deepEqual(v3({ row: { tag: '123' } }).identification!.data!.tag, { tag: 123 })
    assert.deepEqual(v3({ row: { tag: '"signup"' } }).identification!.data!.tag, { tag: 'signup' })
    assert.deepEqual(v3({ row: { tag: null } }).identification!.data!.tag, {})
    assert.equal('meta' in v3({ row: { tag: null } }).botd!.data!, false)
    assert.equal('tags' in toV4Event(event({ row: { tag: null } })), false)
    assert.deepEqual(toV4Event(event({ row: { tag: 'true' } })).tags, { tag: true })
  })

  it('a history row (no engine notes) is found when the visitor came before', () => {
    const e = event()
    const row = Object.fromEntries(HISTORY_COLUMNS.map((k) => [k, e.row[k]])) as HistoryRow
    assert.equal(toV3Visit(row, { firstSeenAt: TS, lastSeenAt: null }).visitorFound, false)
    assert.equal(toV3Visit(row, { firstSeenAt: TS - 5, lastSeenAt: TS - 5 }).visitorFound, true)
    assert.equal('confidence' in toV3Visit(row, { firstSeenAt: TS, lastSeenAt: null }), false)
  })

  it('unknown location: no ipLocation, and ipInfo geolocation is empty', () => {
    const p = v3({ location: null })
    assert.equal('ipLocation' in p.identification!.data!, false)
    assert.deepEqual(p.ipInfo!.data!.v4!.geolocation, {})
  })
})

describe('botd', () => {
  it('carries the stored verdict and the request facts', () => {
    const b = v3({ row: { bot_result: 'bad', tag: '{"k":1}', linked_id: 'L' } }).botd!.data!
    assert.deepEqual(b.bot, { result: 'bad' })
    assert.equal(b.userAgent, CHROME_UA)
    assert.equal(b.ip, '73.45.1.2')
    assert.deepEqual(b.meta, { k: 1 })
    assert.equal(b.linkedId, 'L')
    assert.equal(toV4Event(event({ row: { bot_result: 'notDetected' } })).bot, 'not_detected')
  })

  it('a good bot names its type', () => {
    const ua = 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)'
    const o = { row: { bot_result: 'good' }, details: { userAgent: ua }, bot: { browserSaysItsBot: true } }
    assert.deepEqual(v3(o).botd!.data!.bot, { result: 'good', type: 'google' })
    assert.equal(toV4Event(event(o)).bot_type, 'google')
  })
})

describe('ipInfo', () => {
  it('an IPv4 address on a residential network is not a datacenter', () => {
    const info = v3().ipInfo!.data!
    assert.equal(info.v6, undefined)
    assert.deepEqual(info.v4!.asn, {
      asn: '7922',
      name: 'Comcast Cable Communications, LLC',
      network: '73.0.0.0/8',
    })
    assert.deepEqual(info.v4!.datacenter, { result: false, name: '' })
    assert.equal(info.v4!.geolocation.timezone, 'America/Chicago')
  })

  it('IPv6 in a cloud network: v6 with the provider', () => {
    const o = {
      row: { ip: '2600:1f18::1' },
      details: { asn: { asn: 16509, name: 'Amazon.com, Inc.', network: '2600:1f00::/24' } },
    }
    const info = v3(o).ipInfo!.data!
    assert.equal(info.v4, undefined)
    assert.deepEqual(info.v6!.datacenter, { result: true, name: 'Amazon AWS' })
    const v4 = toV4Event(event(o)).ip_info!.v6!
    assert.equal(v4.asn, '16509')
    assert.equal(v4.datacenter_result, true)
    assert.equal(v4.datacenter_name, 'Amazon AWS')
  })

  it('no AS data: neither asn nor datacenter', () => {
    const info = v3({ details: { asn: null } }).ipInfo!.data!.v4!
    assert.equal('asn' in info, false)
    assert.equal('datacenter' in info, false)
  })
})

describe('tampering', () => {
  it('a clean browser: not tampered, score 0', () => {
    assert.deepEqual(v3().tampering!.data, { result: false, confidence: 'high', anomalyScore: 0 })
  })

  it('canvas noise alone raises the score but is not tampering', () => {
    const t = v3({ components: { canvas: { text: 'unstable', geometry: 'unstable', stable: false } } })
      .tampering!.data!
    // The weight of canvas noise, 0.25: under the 0.5 threshold.
    assert.equal(t.anomalyScore, 0.25)
    assert.equal(t.result, false)
  })

  it('lying APIs and UA contradictions (bots.ts verdicts) combine as a noisy-OR', () => {
    const t = v3({ bot: reasons('api_tampered', 'ua_hints_mismatch', 'headless_chrome') }).tampering!.data!
    // By hand: api_tampered 0.6 and ua_hints_mismatch 0.6 (headless_chrome is not tampering):
    // 1 − (1 − 0.6)(1 − 0.6) = 0.84.
    assert.equal(t.anomalyScore, 0.84)
    assert.equal(t.result, true)
    assert.equal(t.confidence, 'high')
    const low = v3({ bot: reasons('ua_platform_mismatch') }).tampering!.data!
    assert.deepEqual(low, { result: true, confidence: 'low', anomalyScore: 0.5 })
    const v4 = toV4Event(event({ bot: reasons('ua_platform_mismatch') }))
    assert.equal(v4.tampering, true)
    assert.deepEqual(v4.tampering_details, { anomaly_score: 0.5 })
  })
})

describe('vpn', () => {
  it('browser and IP in the same zone: no VPN', () => {
    const vpn = v3().vpn!.data!
    assert.deepEqual(vpn, {
      result: false,
      confidence: 'medium',
      originTimezone: 'America/Chicago',
      originCountry: 'US',
      methods: { timezoneMismatch: false, publicVPN: false },
    })
  })

  it("the browser's clock is in Berlin, the IP in Chicago: timezone mismatch", () => {
    const o = { components: { timezone: { name: 'Europe/Berlin', offset: -60 } } }
    const vpn = v3(o).vpn!.data!
    assert.equal(vpn.result, true)
    assert.equal(vpn.methods.timezoneMismatch, true)
    assert.equal(vpn.originCountry, 'DE')
    assert.equal(vpn.confidence, 'low')
    const v4 = toV4Event(event(o))
    assert.equal(v4.vpn, true)
    assert.deepEqual(v4.vpn_methods, { timezone_mismatch: true, public_vpn: false })
    assert.equal(v4.vpn_origin_timezone, 'Europe/Berlin')
  })

  it('another zone of the same country is not a mismatch (geolocation is coarse)', () => {
    const o = { components: { timezone: { name: 'America/Los_Angeles', offset: 480 } } }
    assert.equal(v3(o).vpn!.data!.methods.timezoneMismatch, false)
  })

  it('offsets compare at the event time (the reported offset wins over the zone name)', () => {
    // Browser says Chicago but its clock is at UTC+1: mismatch although the names agree.
    const o = {
      components: { timezone: { name: 'America/Chicago', offset: -60 } },
      location: location({ country: 'DE', timeZone: 'America/Chicago' }),
    }
    assert.equal(v3(o).vpn!.data!.methods.timezoneMismatch, true)
  })

  it('a hosting network is a public VPN; both methods: high confidence', () => {
    const o = {
      components: { timezone: { name: 'Asia/Tokyo', offset: -540 } },
      details: { asn: { asn: 9009, name: 'M247 Europe SRL', network: '1.2.3.0/24' } },
    }
    const vpn = v3(o).vpn!.data!
    assert.deepEqual(vpn.methods, { timezoneMismatch: true, publicVPN: true })
    assert.equal(vpn.confidence, 'high')
  })

  it('nothing to evaluate: no vpn product; one method: only that one', () => {
    const none = { components: { timezone: null, intl: null }, location: null, details: { asn: null } }
    assert.equal(v3(none).vpn, undefined)
    assert.equal('vpn' in toV4Event(event(none)), false)
    const asnOnly = v3({ location: null }).vpn!.data!
    assert.deepEqual(asnOnly.methods, { publicVPN: false })
  })
})

describe('virtualMachine and privacySettings', () => {
  it('a VM display adapter in the WebGL renderer', () => {
    for (const r of [
      'ANGLE (VMware, Inc., VMware SVGA 3D (0x00000405) Direct3D11 vs_5_0 ps_5_0, D3D11)',
      'ANGLE (Microsoft, Microsoft Basic Render Driver Direct3D11 vs_5_0 ps_5_0, D3D11)',
      'VirtualBox Graphics Adapter',
      'virgl (Mesa)',
    ])
      assert.equal(
        v3({ components: { webgl: { unmaskedRenderer: r } } }).virtualMachine!.data!.result,
        true,
        r,
      )
    assert.equal(v3().virtualMachine!.data!.result, false)
    assert.equal(v3({ components: { webgl: null } }).virtualMachine, undefined)
  })

  it('privacy: noise, replaced fingerprinting APIs, or Firefox resisting fingerprinting', () => {
    assert.equal(v3().privacySettings!.data!.result, false)
    assert.equal(v3({ components: { audio: 'unstable' } }).privacySettings!.data!.result, true)
    assert.equal(v3({ bot: reasons('fingerprint_api_tampered') }).privacySettings!.data!.result, true)
    const firefox = 'Mozilla/5.0 (Windows NT 10.0; rv:128.0) Gecko/20100101 Firefox/128.0'
    const rfp = {
      details: { userAgent: firefox },
      components: { timezone: { name: 'Atlantic/Reykjavik', offset: 0 } },
    }
    assert.equal(v3(rfp).privacySettings!.data!.result, true)
    // The same browser on an IP in London (UTC in January) is just in London.
    assert.equal(
      v3({ ...rfp, location: location({ country: 'GB', timeZone: 'Europe/London' }) }).privacySettings!.data!
        .result,
      false,
    )
    assert.equal(v3({ components: { canvas: null, audio: null } }).privacySettings, undefined)
  })
})

describe('velocity and highActivity', () => {
  it('v3 intervals; a metric we could not compute has none; v4 leaves it out', () => {
    const vel = v3().velocity!.data!
    assert.deepEqual(vel.events, { intervals: { '5m': 1, '1h': 1, '24h': 1 } })
    assert.deepEqual(vel.distinctIpByLinkedId, {})
    const v4 = toV4Event(event()).velocity!
    assert.deepEqual(v4.events, { '5_minutes': 1, '1_hour': 1, '24_hours': 1 })
    assert.equal('distinct_ip_by_linked_id' in v4, false)
    const truncated = { ...quietVelocity(), events: { m5: 400, h1: 4000 } }
    assert.deepEqual(v3({ velocity: truncated }).velocity!.data!.events, {
      intervals: { '5m': 400, '1h': 4000 },
    })
  })

  it(`highActivity from ${HIGH_ACTIVITY_DAILY_EVENTS} events in the 24 hours ending at the event`, () => {
    const at = (h24: number | undefined) =>
      v3({
        velocity: {
          ...quietVelocity(),
          events: h24 === undefined ? { m5: 9, h1: 99 } : { m5: 1, h1: 1, h24 },
        },
      }).highActivity!.data
    assert.deepEqual(at(HIGH_ACTIVITY_DAILY_EVENTS - 1), { result: false })
    assert.deepEqual(at(HIGH_ACTIVITY_DAILY_EVENTS), {
      result: true,
      dailyRequests: HIGH_ACTIVITY_DAILY_EVENTS,
    })
    assert.deepEqual(at(undefined), { result: true })
    assert.equal(v3({ velocity: null }).highActivity, undefined)
    assert.equal(v3({ velocity: null }).velocity, undefined)
  })
})

describe('suspectScore', () => {
  it('0 for a clean visit', () => {
    assert.equal(v3().suspectScore!.data!.result, 0)
    assert.equal(toV4Event(event()).suspect_score, 0)
  })

  it('the sum of the weights of the products that fired', () => {
    const o: EventOptions = {
      row: { bot_result: 'bad' },
      bot: reasons('api_tampered', 'ua_hints_mismatch'),
      details: { incognito: true, asn: { asn: 14061, name: 'DigitalOcean, LLC', network: null } },
      components: { webgl: { unmaskedRenderer: 'VMware SVGA 3D' } },
    }
    // By hand: bot 10 + tampering 7 + VPN (datacenter ASN) 3 + virtual machine 3 + incognito 1 = 24.
    assert.equal(v3(o).suspectScore!.data!.result, 24)
  })
})

describe('v4 event and v3 webhook', () => {
  it('v4: flat snake_case facts, times in ms', () => {
    const e = event({ row: { linked_id: 'acct-1', suspect: 1 } })
    const v4 = toV4Event(e)
    assert.equal(v4.timestamp, Math.floor(TS / 1000))
    assert.deepEqual(v4.identification, {
      visitor_id: e.row.visitor_id,
      visitor_found: true,
      first_seen_at: Math.floor(e.firstSeenAt / 1000),
      last_seen_at: Math.floor(e.lastSeenAt! / 1000),
      confidence: { score: 1 },
    })
    assert.equal(v4.linked_id, 'acct-1')
    assert.equal(v4.suspect, true)
    assert.equal(v4.user_agent, CHROME_UA)
    assert.equal(v4.browser_details?.browser_name, 'Chrome')
    assert.equal(v4.ip_address, '73.45.1.2')
    assert.equal(v4.ip_info?.v4?.geolocation?.city_name, 'Chicago')
    assert.equal(v4.ip_info?.v4?.geolocation?.accuracy_radius, 32)
    assert.equal(v4.incognito, false)
    assert.equal(v4.high_activity_device, false)
  })

  it('v3 webhook: the identification flat at the top, the signals beside it', () => {
    const e = event({ row: { linked_id: 'acct-1' } })
    const hook = toV3Webhook(e)
    const products = toV3Event(e).products
    assert.equal('products' in hook, false)
    assert.equal(hook.visitorId, e.row.visitor_id)
    assert.equal(hook.linkedId, 'acct-1')
    assert.deepEqual(hook.bot, { result: 'notDetected' })
    assert.deepEqual(hook.ipInfo, products.ipInfo!.data)
    assert.deepEqual(hook.tampering, products.tampering!.data)
    assert.deepEqual(hook.velocity, products.velocity!.data)
    assert.equal(hook.sdk.platform, 'js')
    assert.equal(typeof hook.sdk.version, 'string')
  })

  it('the mappers are pure: the same event gives the same JSON', () => {
    const e = event()
    assert.equal(JSON.stringify(toV3Event(e)), JSON.stringify(toV3Event(e)))
    assert.equal(JSON.stringify(toV4Event(e)), JSON.stringify(toV4Event(e)))
  })
})
