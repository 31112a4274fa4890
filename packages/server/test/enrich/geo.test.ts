import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { type GeoResolver, type IpLocation, openGeo } from '../../src/enrich/geo.js'
import { writeMmdb } from './mmdb-writer.js'

const KEYS = [
  'accuracyRadius',
  'city',
  'continent',
  'country',
  'latitude',
  'longitude',
  'organization',
  'postalCode',
  'subdivisions',
  'timeZone',
]

function location(geo: GeoResolver, ip: string): IpLocation {
  const r = geo.lookup(ip)
  assert.ok(r.ipLocation, `no location for ${ip}`)
  return r.ipLocation
}

describe('geo (bundled DB-IP + ASN data)', () => {
  let geo: GeoResolver
  before(async () => {
    geo = await openGeo()
  })
  after(() => geo.close())

  test('8.8.8.8 is Google in the US', () => {
    const r = geo.lookup('8.8.8.8')
    assert.equal(r.ipVersion, 4)
    const loc = r.ipLocation!
    assert.deepEqual(Object.keys(loc).sort(), KEYS)
    assert.deepEqual(Object.keys(loc.organization).sort(), ['domain', 'isp', 'legalName', 'name'])
    assert.equal(loc.country.isoCode, 'US')
    assert.equal(loc.country.name, 'United States')
    assert.deepEqual(loc.continent, { code: 'NA', name: 'North America' })
    assert.match(loc.organization.name!, /Google/)
    assert.equal(loc.organization.isp, loc.organization.name)
    assert.equal(loc.organization.legalName, null)
    assert.equal(loc.organization.domain, null)
    assert.equal(loc.accuracyRadius, null) // DB-IP has no radius
    assert.equal(typeof loc.latitude, 'number')
    assert.equal(typeof loc.longitude, 'number')
    assert.equal(typeof loc.timeZone, 'string')
    assert.equal(r.asn?.asn, 15169)
    assert.equal(r.asn?.network, '8.8.8.0/24')
  })

  test('IPv4-mapped IPv6 is looked up as IPv4', () => {
    const plain = geo.lookup('8.8.8.8')
    assert.deepEqual(geo.lookup('::ffff:8.8.8.8'), plain)
    assert.deepEqual(geo.lookup('::ffff:0808:0808'), plain)
    assert.deepEqual(geo.lookup('::FFFF:8.8.8.8'), plain)
  })

  test('European IPv6: Deutsche Telekom 2003::/19 is in Germany', () => {
    const r = geo.lookup('2003::1')
    assert.equal(r.ipVersion, 6)
    const loc = r.ipLocation!
    assert.deepEqual(Object.keys(loc).sort(), KEYS)
    assert.equal(loc.country.isoCode, 'DE')
    assert.equal(loc.country.name, 'Germany')
    assert.deepEqual(loc.continent, { code: 'EU', name: 'Europe' })
    assert.equal(loc.timeZone, 'Europe/Berlin') // from coordinates: DB-IP has no time zone
    assert.equal(loc.subdivisions[0]?.name, 'North Rhine-Westphalia')
    assert.equal(loc.subdivisions[0]?.isoCode, 'NW')
    assert.equal(r.asn?.asn, 3320)
    assert.match(loc.organization.name!, /Telekom/)
  })

  test('Google Frankfurt IPv6 block: DE, Hesse (HE)', () => {
    const loc = location(geo, '2a00:1450:4001::1')
    assert.equal(loc.country.isoCode, 'DE')
    assert.deepEqual(loc.subdivisions, [{ isoCode: 'HE', name: 'Hesse' }])
    assert.match(loc.organization.name!, /Google/)
  })

  test('non-public addresses give null', () => {
    for (const ip of [
      '10.0.0.1',
      '192.168.1.1',
      '127.0.0.1',
      '172.16.5.4',
      '100.64.0.1',
      '169.254.1.1',
      '0.0.0.0',
      '192.0.2.1',
      '198.51.100.7',
      '203.0.113.9',
      '224.0.0.1',
      '255.255.255.255',
      '::1',
      '::',
      'fe80::1',
      'fe80::1%eth0',
      'fc00::1',
      'fd12:3456::1',
      'ff02::1',
      '2001:db8::1',
      '::ffff:10.0.0.1',
      '::ffff:127.0.0.1',
    ]) {
      assert.deepEqual(geo.lookup(ip), { ipLocation: null, asn: null, ipVersion: null }, ip)
    }
  })

  test('malformed input gives null and never throws', () => {
    for (const ip of [
      '',
      'abc',
      '999.1.1.1',
      '1.2.3',
      '::ffff:zz',
      '1.2.3.4.5',
      '01.2.3.4',
      '1::2::3',
      ':::',
      ' ',
      'x'.repeat(10_000),
    ]) {
      assert.deepEqual(geo.lookup(ip), { ipLocation: null, asn: null, ipVersion: null }, ip)
    }
    assert.equal(geo.lookup(undefined as unknown as string).ipLocation, null)
    assert.equal(geo.lookup(42 as unknown as string).ipLocation, null)
  })

  test('info() reports data versions for /readyz', () => {
    const info = geo.info()
    assert.match(info.cityDbBuildDate, /^\d{4}-\d\d-\d\dT/)
    assert.match(info.asnDataVersion, /^\d+\.\d+\.\d+/)
    assert.ok(info.sources.some((s) => s.includes('DB-IP')))
  })

  test('lookups are fast', () => {
    const ips = Array.from(
      { length: 2000 },
      (_, i) => `${(i % 200) + 1}.${(i * 7) % 256}.${(i * 13) % 256}.1`,
    )
    const t = performance.now()
    for (const ip of ips) geo.lookup(ip)
    const perLookupUs = ((performance.now() - t) * 1000) / ips.length
    assert.ok(perLookupUs < 500, `${perLookupUs} µs per lookup`)
  })
})

describe('geo with MaxMind databases (fixtures written by test/enrich/mmdb-writer.ts)', () => {
  let geo: GeoResolver
  let dir: string
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sightline-geo-'))
    const city = writeMmdb('GeoLite2-City', [
      [
        '81.2.69.0/24',
        {
          city: { names: { en: 'London', de: 'London' } },
          continent: { code: 'EU', names: { en: 'Europe' } },
          country: { iso_code: 'GB', names: { en: 'United Kingdom' } },
          location: {
            accuracy_radius: 10,
            latitude: 51.5142,
            longitude: -0.0931,
            time_zone: 'Europe/London',
          },
          postal: { code: 'EC4M' },
          subdivisions: [{ iso_code: 'ENG', names: { en: 'England' } }],
        },
      ],
      // Only a country and a radius: the rest comes from DB-IP, which agrees on the country.
      ['8.8.8.0/24', { country: { iso_code: 'US' }, location: { accuracy_radius: 1000 } }],
      // MaxMind disagrees with DB-IP on the country: nothing of DB-IP's is mixed in.
      ['1.1.1.0/24', { country: { iso_code: 'NZ' } }],
    ])
    const asn = writeMmdb('GeoLite2-ASN', [
      [
        '81.2.69.0/24',
        { autonomous_system_number: 20712, autonomous_system_organization: 'Andrews & Arnold Ltd' },
      ],
    ])
    const isp = writeMmdb('GeoIP2-ISP', [
      [
        '81.2.69.0/24',
        {
          autonomous_system_number: 20712,
          autonomous_system_organization: 'Andrews & Arnold Ltd',
          isp: 'Andrews and Arnold',
          organization: 'A and A Customer',
        },
      ],
    ])
    writeFileSync(join(dir, 'city.mmdb'), city)
    writeFileSync(join(dir, 'asn.mmdb'), asn)
    writeFileSync(join(dir, 'isp.mmdb'), isp)
    geo = await openGeo({
      cityDb: join(dir, 'city.mmdb'),
      asnDb: join(dir, 'asn.mmdb'),
      ispDb: join(dir, 'isp.mmdb'),
    })
  })
  after(() => {
    geo.close()
    rmSync(dir, { recursive: true, force: true })
  })

  test('MaxMind city, ASN and ISP data are preferred', () => {
    const r = geo.lookup('81.2.69.142')
    assert.deepEqual(r.ipLocation, {
      accuracyRadius: 6, // 10 km
      city: { name: 'London' },
      continent: { code: 'EU', name: 'Europe' },
      country: { isoCode: 'GB', name: 'United Kingdom' },
      latitude: 51.5142,
      longitude: -0.0931,
      organization: { domain: null, isp: 'Andrews and Arnold', legalName: null, name: 'A and A Customer' },
      postalCode: 'EC4M',
      subdivisions: [{ isoCode: 'ENG', name: 'England' }],
      timeZone: 'Europe/London',
    })
    assert.deepEqual(r.asn, { asn: 20712, name: 'Andrews & Arnold Ltd', network: '81.2.69.0/24' })
  })

  test('DB-IP fills what MaxMind lacks when both agree on the country', () => {
    const loc = location(geo, '8.8.8.8')
    assert.equal(loc.accuracyRadius, 621) // 1000 km
    assert.equal(loc.country.isoCode, 'US')
    assert.equal(loc.country.name, 'United States') // from countries-list
    assert.equal(loc.continent.name, 'North America')
    assert.equal(loc.city.name, 'Mountain View')
    assert.equal(loc.subdivisions[0]?.isoCode, 'CA')
    assert.match(loc.organization.name!, /Google/) // ASN CSV: the MaxMind ASN fixture has no such network
  })

  test('no DB-IP data is mixed in when the countries disagree', () => {
    const loc = location(geo, '1.1.1.1')
    assert.equal(loc.country.isoCode, 'NZ')
    assert.equal(loc.country.name, 'New Zealand')
    assert.equal(loc.city.name, null)
    assert.equal(loc.latitude, null)
    assert.deepEqual(loc.subdivisions, [])
    assert.equal(loc.timeZone, null)
  })

  test('info() names the MaxMind database', () => {
    const info = geo.info()
    assert.equal(info.cityDbBuildDate, '2023-11-14T22:13:20.000Z')
    assert.ok(info.sources.some((s) => s.includes('GeoLite2-City')))
  })
})
