// Synthetic visits shaped like the pipeline's, for bench:dashboard and the dashboard's screenshots.
import { randomBytes } from 'node:crypto'
import { hashPassword } from '../packages/server/dist/dashboard/passwords.js'
import type { Sightline } from '../packages/server/dist/server.js'
import { createApp } from '../packages/server/dist/store/apps.js'
import { insertUser } from '../packages/server/dist/store/users.js'

const DAY_US = 86_400_000_000

/** sfc32-like: small and seedable, so both sizes and both databases get the same shapes. */
function rng(seed: number) {
  let s = seed >>> 0
  return () => {
    s = (s + 0x6d2b79f5) >>> 0
    let t = s
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const COUNTRIES = [
  ['US', 'United States', 'New York', 40.71, -74.0],
  ['GB', 'United Kingdom', 'London', 51.51, -0.09],
  ['DE', 'Germany', 'Berlin', 52.52, 13.4],
  ['FR', 'France', 'Paris', 48.86, 2.35],
  ['BR', 'Brazil', 'São Paulo', -23.55, -46.63],
  ['IN', 'India', 'Mumbai', 19.08, 72.88],
  ['JP', 'Japan', 'Tokyo', 35.68, 139.69],
  ['AU', 'Australia', 'Sydney', -33.87, 151.21],
  ['CA', 'Canada', 'Toronto', 43.65, -79.38],
  ['PL', 'Poland', 'Warsaw', 52.23, 21.01],
] as const
const BROWSERS = [
  ['Chrome', 'Windows', '10'],
  ['Chrome', 'Mac OS X', '10.15.7'],
  ['Safari', 'iOS', '17.5'],
  ['Firefox', 'Linux', null],
  ['Edge', 'Windows', '11'],
  ['Chrome Mobile', 'Android', '14'],
] as const
const PATHS = [
  'storedId',
  'storedId',
  'storedId',
  'storedId',
  'storedId',
  'storedId',
  'fingerprint',
  'fuzzy',
  'new',
  'new',
]

export interface Seeded {
  visitorId: string
  requestId: string
  ip: string
  linkedId: string
}

export async function seed(sl: Sightline, appId: string, visits: number, days: number): Promise<Seeded> {
  const db = sl.db.kysely
  const r = rng(visits)
  const visitors = Math.max(1, Math.floor(visits / 5))
  const nowUs = Date.now() * 1000
  const firstSeen = new Float64Array(visitors).fill(Number.POSITIVE_INFINITY)
  const lastSeen = new Float64Array(visitors)
  const id = (v: number) => `v${String(v).padStart(19, '0')}`
  const components = JSON.stringify(
    Object.fromEntries(
      Array.from({ length: 40 }, (_, i) => [
        `signal${i}`,
        { value: `value-${i}-${'x'.repeat(20)}`, duration: 1 },
      ]),
    ),
  )
  let heavy: Seeded | null = null
  const BATCH = 500
  const started = performance.now()
  for (let done = 0; done < visits; ) {
    await db.transaction().execute(async (trx) => {
      for (let b = 0; b < 20 && done < visits; b++) {
        const rows = []
        for (let i = 0; i < BATCH && done < visits; i++, done++) {
          // Zipf-ish: a few visitors visit a lot.
          const v = Math.min(visitors - 1, Math.floor(visitors * r() ** 3))
          const ts = Math.floor(nowUs - r() * days * DAY_US)
          firstSeen[v] = Math.min(firstSeen[v]!, ts)
          lastSeen[v] = Math.max(lastSeen[v]!, ts)
          const [code, country, city, lat, lon] = COUNTRIES[Math.floor(r() ** 2 * COUNTRIES.length)]!
          const [browser, os, osVersion] = BROWSERS[v % BROWSERS.length]!
          const ip = `${10 + (v % 200)}.${(v >> 8) & 255}.${v & 255}.${Math.floor(r() * 250) + 1}`
          const bot = r() < 0.05 ? 'bad' : r() < 0.02 ? 'good' : 'notDetected'
          const requestId = `${Math.floor(ts / 1000)}.${randomBytes(3).toString('hex')}`
          const linkedId = r() < 0.3 ? `acct-${v}` : null
          rows.push({
            request_id: requestId,
            app_id: appId,
            visitor_id: id(v),
            ts,
            fingerprint: (v * 2654435761).toString(16).padStart(32, '0').slice(-32),
            url: `https://shop.example/products/${Math.floor(r() * 1000)}`,
            ip,
            tag: null,
            linked_id: linkedId,
            ip_location: JSON.stringify({
              accuracyRadius: null,
              city: { name: city },
              continent: { code: null, name: null },
              country: { isoCode: code, name: country },
              latitude: lat,
              longitude: lon,
              organization: { domain: null, isp: null, legalName: null, name: 'Example Networks' },
              postalCode: null,
              subdivisions: [],
              timeZone: null,
            }),
            visitor_details: JSON.stringify({
              browserName: browser,
              browserFullVersion: '131.0.0.0',
              browserMajorVersion: '131',
              browserPlatformName: os,
              browserPlatformVersion: osVersion,
              browserWebkitFullVersion: null,
              os,
              osVersion,
              device: 'Other',
              incognito: false,
              userAgent: `Mozilla/5.0 (${os}) ${browser}/131.0.0.0`,
              asn: { asn: 64500 + (v % 50), name: 'Example Networks', network: null },
            }),
            components,
            identification: JSON.stringify({
              path: PATHS[Math.floor(r() * PATHS.length)],
              confidence: 0.99,
              reasons: ['valid stored identifier'],
            }),
            bot: JSON.stringify({
              browserSaysItsBot: false,
              browserHeadless: false,
              botProbability: bot === 'bad' ? 0.9 : 0.01,
              reasons: [],
            }),
            bot_result: bot,
          })
          if (v === 0) heavy = { visitorId: id(v), requestId, ip, linkedId: `acct-${v}` }
        }
        await trx.insertInto('visits').values(rows).execute()
      }
    })
    if (process.stderr.isTTY)
      process.stderr.write(`\r  seeding ${done.toLocaleString()} of ${visits.toLocaleString()} visits…`)
  }
  for (let v = 0; v < visitors; v += 1000) {
    const rows = []
    for (let u = v; u < Math.min(visitors, v + 1000); u++)
      if (lastSeen[u]! > 0)
        rows.push({
          app_id: appId,
          visitor_id: id(u),
          first_seen_at: firstSeen[u]!,
          last_seen_at: lastSeen[u]!,
          profile: null,
        })
    if (rows.length) await db.insertInto('visitors').values(rows).execute()
  }
  if (process.stderr.isTTY) process.stderr.write('\r\x1b[K')
  process.stderr.write(
    `  seeded ${visits.toLocaleString()} visits in ${((performance.now() - started) / 1000).toFixed(0)} s\n`,
  )
  return heavy!
}

/** An app, and an admin who may sign in to the dashboard with this email and password. */
export async function appWithOwner(sl: Sightline, name: string, email: string, password: string) {
  const app = await createApp(sl.db.kysely, { name })
  await insertUser(sl.db.kysely, {
    id: `user_${name.toLowerCase()}`,
    email,
    passwordHash: await hashPassword(password),
    role: 'admin',
    createdAt: Date.now(),
  })
  return app
}
