import type { IpLocation } from '../enrich/geo.js'

/** Our spec-v1 `ipLocation` in the shape the commercial agent and its v3 API use. */
export function toV3IpLocation(loc: IpLocation | null) {
  if (!loc) return null
  return {
    accuracyRadius: loc.accuracyRadius,
    latitude: loc.latitude,
    longitude: loc.longitude,
    postalCode: loc.postalCode,
    timezone: loc.timeZone,
    city: { name: loc.city.name },
    country: { code: loc.country.isoCode, name: loc.country.name },
    continent: { code: loc.continent.code, name: loc.continent.name },
    subdivisions: loc.subdivisions.map((s) => ({ isoCode: s.isoCode, name: s.name })),
  }
}
