import type { V3Geolocation, V4Geolocation } from '../events/types.js'
import type { IpLocation } from '../schemas/stored.js'

const MILES_TO_KM = 1.609344

/** Our stored radius is in miles (the v1 spec's unit); the v3/v4 APIs give kilometres. */
const km = (miles: number | null) => (miles === null ? undefined : Math.round(miles * MILES_TO_KM))

/** Drops undefined values so absent facts are absent keys, as the APIs describe them. */
export function compact<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k]
  return o
}

const opt = (v: string | null | undefined) => (v === null || v === undefined || v === '' ? undefined : v)

export function toV3Geolocation(loc: IpLocation): V3Geolocation {
  const { city, country, continent } = loc
  return compact({
    accuracyRadius: km(loc.accuracyRadius),
    latitude: loc.latitude ?? undefined,
    longitude: loc.longitude ?? undefined,
    postalCode: opt(loc.postalCode),
    timezone: opt(loc.timeZone),
    city: city.name ? { name: city.name } : undefined,
    country: country.isoCode ? { code: country.isoCode, name: country.name ?? country.isoCode } : undefined,
    continent: continent.code ? { code: continent.code, name: continent.name ?? continent.code } : undefined,
    subdivisions: loc.subdivisions.flatMap((s) => (s.isoCode ? [{ isoCode: s.isoCode, name: s.name }] : [])),
  })
}

export function toV4Geolocation(loc: IpLocation): V4Geolocation {
  const g = toV3Geolocation(loc)
  return compact({
    accuracy_radius: g.accuracyRadius,
    latitude: g.latitude,
    longitude: g.longitude,
    postal_code: g.postalCode,
    timezone: g.timezone,
    city_name: g.city?.name,
    country_code: g.country?.code,
    country_name: g.country?.name,
    continent_code: g.continent?.code,
    continent_name: g.continent?.name,
    subdivisions: g.subdivisions?.map((s) => ({ iso_code: s.isoCode, name: s.name })),
  })
}
