// Geography layer: country → time zones, browser language lists, ISPs (ASN). Weights are rough shares of
// web traffic and of each country's population; ASNs are the real networks' numbers. IP addresses are
// synthetic but stable per ISP (a few /16 prefixes each), so an ASN always comes with the same prefixes.

export interface Isp {
  name: string
  asn: number
  weight: number
  mobile?: boolean
}

export interface Country {
  code: string
  weight: number
  zones: [string, number][]
  languages: [string[], number][]
  isps: Isp[]
}

const isp = (name: string, asn: number, weight: number, mobile = false): Isp => ({
  name,
  asn,
  weight,
  mobile,
})

export const COUNTRIES: Country[] = [
  {
    code: 'US',
    weight: 24,
    zones: [
      ['America/New_York', 46],
      ['America/Chicago', 29],
      ['America/Denver', 6],
      ['America/Phoenix', 2],
      ['America/Los_Angeles', 17],
    ],
    languages: [
      [['en-US'], 70],
      [['en-US', 'en'], 24],
      [['es-US', 'es', 'en-US', 'en'], 4],
      [['en-US', 'es'], 2],
    ],
    isps: [
      isp('Comcast', 7922, 28),
      isp('Charter', 20115, 22),
      isp('AT&T', 7018, 16),
      isp('Verizon', 701, 10),
      isp('T-Mobile US', 21928, 14, true),
      isp('Verizon Wireless', 6167, 10, true),
    ],
  },
  {
    code: 'DE',
    weight: 7,
    zones: [['Europe/Berlin', 1]],
    languages: [
      [['de-DE', 'de', 'en-US', 'en'], 45],
      [['de-DE'], 25],
      [['de'], 15],
      [['de-DE', 'de', 'en'], 10],
      [['en-US', 'en', 'de'], 5],
    ],
    isps: [
      isp('Deutsche Telekom', 3320, 40),
      isp('Vodafone DE', 3209, 30),
      isp('Telefonica DE', 6805, 15, true),
      isp('1&1', 8881, 15),
    ],
  },
  {
    code: 'GB',
    weight: 6,
    zones: [['Europe/London', 1]],
    languages: [
      [['en-GB', 'en'], 45],
      [['en-GB'], 30],
      [['en-GB', 'en-US', 'en'], 20],
      [['en-US', 'en'], 5],
    ],
    isps: [
      isp('BT', 2856, 30),
      isp('Sky', 5607, 22),
      isp('Virgin Media', 5089, 20),
      isp('EE', 12576, 15, true),
      isp('Vodafone UK', 25135, 13, true),
    ],
  },
  {
    code: 'FR',
    weight: 5,
    zones: [['Europe/Paris', 1]],
    languages: [
      [['fr-FR', 'fr', 'en-US', 'en'], 45],
      [['fr-FR'], 30],
      [['fr', 'fr-FR', 'en-US', 'en'], 15],
      [['fr'], 10],
    ],
    isps: [isp('Orange', 3215, 38), isp('Free', 12322, 25), isp('SFR', 15557, 22), isp('Bouygues', 5410, 15)],
  },
  {
    code: 'IN',
    weight: 8,
    zones: [
      ['Asia/Kolkata', 85],
      ['Asia/Calcutta', 15],
    ],
    languages: [
      [['en-US', 'en'], 40],
      [['en-IN', 'en-GB', 'en-US', 'en'], 30],
      [['en-GB', 'en'], 15],
      [['hi-IN', 'hi', 'en-US', 'en'], 15],
    ],
    isps: [
      isp('Reliance Jio', 55836, 45, true),
      isp('Bharti Airtel', 24560, 20),
      isp('Airtel Mobile', 45609, 20, true),
      isp('BSNL', 9829, 8),
      isp('ACT Fibernet', 24309, 7),
    ],
  },
  {
    code: 'BR',
    weight: 6,
    zones: [
      ['America/Sao_Paulo', 85],
      ['America/Fortaleza', 5],
      ['America/Manaus', 5],
      ['America/Recife', 5],
    ],
    languages: [
      [['pt-BR', 'pt', 'en-US', 'en'], 55],
      [['pt-BR'], 40],
      [['pt-BR', 'pt'], 5],
    ],
    isps: [
      isp('Claro BR', 28573, 35),
      isp('Vivo', 26599, 30, true),
      isp('TIM BR', 26615, 20, true),
      isp('Oi', 7738, 15),
    ],
  },
  {
    code: 'JP',
    weight: 5,
    zones: [['Asia/Tokyo', 1]],
    languages: [
      [['ja'], 35],
      [['ja-JP'], 35],
      [['ja', 'en-US', 'en'], 30],
    ],
    isps: [isp('NTT OCN', 4713, 40), isp('KDDI', 2516, 30, true), isp('SoftBank', 17676, 30)],
  },
  {
    code: 'CA',
    weight: 4,
    zones: [
      ['America/Toronto', 55],
      ['America/Vancouver', 20],
      ['America/Edmonton', 12],
      ['America/Winnipeg', 5],
      ['America/Halifax', 8],
    ],
    languages: [
      [['en-US', 'en'], 40],
      [['en-CA', 'en'], 25],
      [['fr-CA', 'fr', 'en-US', 'en'], 20],
      [['en-CA'], 15],
    ],
    isps: [
      isp('Rogers', 812, 30),
      isp('Bell', 577, 30),
      isp('Telus', 852, 25, true),
      isp('Videotron', 5769, 15),
    ],
  },
  {
    code: 'ES',
    weight: 3.5,
    zones: [
      ['Europe/Madrid', 95],
      ['Atlantic/Canary', 5],
    ],
    languages: [
      [['es-ES', 'es', 'en-US', 'en'], 55],
      [['es-ES'], 30],
      [['es', 'en'], 15],
    ],
    isps: [isp('Telefonica ES', 3352, 45), isp('Orange ES', 12479, 30), isp('Vodafone ES', 12430, 25, true)],
  },
  {
    code: 'IT',
    weight: 3.5,
    zones: [['Europe/Rome', 1]],
    languages: [
      [['it-IT', 'it', 'en-US', 'en'], 60],
      [['it-IT'], 40],
    ],
    isps: [
      isp('TIM', 3269, 40),
      isp('Vodafone IT', 30722, 25, true),
      isp('Fastweb', 12874, 20),
      isp('Wind Tre', 1267, 15, true),
    ],
  },
  {
    code: 'NL',
    weight: 2,
    zones: [['Europe/Amsterdam', 1]],
    languages: [
      [['nl-NL', 'nl', 'en-US', 'en'], 50],
      [['en-US', 'en'], 30],
      [['nl-NL'], 20],
    ],
    isps: [isp('KPN', 1136, 45), isp('Ziggo', 33915, 40), isp('Odido', 31615, 15, true)],
  },
  {
    code: 'PL',
    weight: 2.5,
    zones: [['Europe/Warsaw', 1]],
    languages: [
      [['pl-PL', 'pl', 'en-US', 'en'], 60],
      [['pl'], 40],
    ],
    isps: [isp('Orange PL', 5617, 40), isp('T-Mobile PL', 12912, 30, true), isp('Netia', 12741, 30)],
  },
  {
    code: 'AU',
    weight: 2,
    zones: [
      ['Australia/Sydney', 40],
      ['Australia/Melbourne', 30],
      ['Australia/Brisbane', 20],
      ['Australia/Perth', 10],
    ],
    languages: [
      [['en-AU', 'en'], 45],
      [['en-US', 'en'], 35],
      [['en-GB', 'en'], 20],
    ],
    isps: [isp('Telstra', 1221, 45), isp('Optus', 4804, 30, true), isp('TPG', 7545, 25)],
  },
  {
    code: 'MX',
    weight: 3,
    zones: [
      ['America/Mexico_City', 80],
      ['America/Monterrey', 10],
      ['America/Tijuana', 10],
    ],
    languages: [
      [['es-MX', 'es', 'en-US', 'en'], 50],
      [['es-419', 'es'], 30],
      [['es-MX'], 20],
    ],
    isps: [isp('Telmex', 8151, 50), isp('Telcel', 28403, 35, true), isp('Totalplay', 22884, 15)],
  },
  {
    code: 'KR',
    weight: 2,
    zones: [['Asia/Seoul', 1]],
    languages: [
      [['ko-KR', 'ko', 'en-US', 'en'], 60],
      [['ko'], 40],
    ],
    isps: [isp('KT', 4766, 40), isp('SK Broadband', 9318, 35, true), isp('LG U+', 3786, 25)],
  },
  {
    code: 'TR',
    weight: 2,
    zones: [['Europe/Istanbul', 1]],
    languages: [
      [['tr-TR', 'tr', 'en-US', 'en'], 60],
      [['tr'], 40],
    ],
    isps: [
      isp('Turk Telekom', 9121, 45),
      isp('Turkcell', 16135, 35, true),
      isp('Vodafone TR', 15897, 20, true),
    ],
  },
  {
    code: 'ID',
    weight: 3,
    zones: [
      ['Asia/Jakarta', 80],
      ['Asia/Makassar', 15],
      ['Asia/Jayapura', 5],
    ],
    languages: [
      [['id-ID', 'id', 'en-US', 'en'], 50],
      [['en-US', 'en'], 30],
      [['id'], 20],
    ],
    isps: [
      isp('Telkomsel', 23693, 45, true),
      isp('Telkom Indonesia', 7713, 35),
      isp('Indosat', 4761, 20, true),
    ],
  },
  {
    code: 'RU',
    weight: 3,
    zones: [
      ['Europe/Moscow', 70],
      ['Asia/Yekaterinburg', 10],
      ['Asia/Novosibirsk', 10],
      ['Europe/Samara', 10],
    ],
    languages: [
      [['ru-RU', 'ru', 'en-US', 'en'], 60],
      [['ru'], 40],
    ],
    isps: [
      isp('Rostelecom', 12389, 40),
      isp('MTS', 8359, 25, true),
      isp('Beeline', 3216, 20),
      isp('MegaFon', 31133, 15, true),
    ],
  },
  {
    code: 'SE',
    weight: 1,
    zones: [['Europe/Stockholm', 1]],
    languages: [
      [['sv-SE', 'sv', 'en-US', 'en'], 60],
      [['en-US', 'en'], 25],
      [['sv'], 15],
    ],
    isps: [isp('Telia', 3301, 50), isp('Tele2', 1257, 30, true), isp('Telenor SE', 8642, 20)],
  },
  {
    code: 'CH',
    weight: 1,
    zones: [['Europe/Zurich', 1]],
    languages: [
      [['de-CH', 'de', 'en-US', 'en'], 45],
      [['de-CH'], 25],
      [['fr-CH', 'fr', 'en-US', 'en'], 20],
      [['it-CH', 'it', 'en'], 10],
    ],
    isps: [isp('Swisscom', 3303, 55), isp('Sunrise', 6730, 30), isp('Salt', 15796, 15, true)],
  },
  {
    code: 'ZA',
    weight: 1,
    zones: [['Africa/Johannesburg', 1]],
    languages: [
      [['en-US', 'en'], 50],
      [['en-ZA', 'en'], 30],
      [['en-GB', 'en'], 20],
    ],
    isps: [isp('Vodacom', 29975, 40, true), isp('MTN', 16637, 35, true), isp('Telkom ZA', 37457, 25)],
  },
]

/** Corporate networks (offices behind one NAT): their own ASNs. */
export const ENTERPRISE_ASNS = [
  { name: 'Enterprise (Microsoft)', asn: 8075 },
  { name: 'Enterprise (Amazon)', asn: 16509 },
  { name: 'Enterprise (Google)', asn: 15169 },
  { name: 'Enterprise (Zscaler)', asn: 22616 },
  { name: 'Enterprise (Cloudflare WARP)', asn: 13335 },
]

/** A stable synthetic address inside one of the network's prefixes. */
export function ipFor(asn: number, a: number, b: number): string {
  const first = 11 + ((Math.imul(asn, 2654435761) >>> 0) % 200)
  const second = ((asn * 7 + (a % 3) * 61) >>> 0) % 256
  return `${first}.${second}.${(a >>> 3) % 256}.${1 + (b % 254)}`
}

/** UTC offset as getTimezoneOffset() reports it (minutes, inverted sign), at time t. */
const fmtCache = new Map<string, Intl.DateTimeFormat>()
const offsetCache = new Map<string, Map<number, number>>()
export function tzOffset(zone: string, t: number): number {
  // The offset only changes at transitions (at night, local time): cache per zone and 3-hour block.
  const hour = Math.floor(t / 10_800_000) * 3
  let zoneCache = offsetCache.get(zone)
  if (!zoneCache) {
    zoneCache = new Map()
    offsetCache.set(zone, zoneCache)
  }
  const cached = zoneCache.get(hour)
  if (cached !== undefined) return cached
  let f = fmtCache.get(zone)
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
    })
    fmtCache.set(zone, f)
  }
  const p: Record<string, number> = {}
  for (const part of f.formatToParts(hour * 3_600_000))
    if (part.type !== 'literal') p[part.type] = Number(part.value)
  const local = Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!)
  const offset = -Math.round((local - hour * 3_600_000) / 60_000)
  zoneCache.set(hour, offset)
  return offset
}

const hcCache = new Map<string, string | null>()
/** What Intl.DateTimeFormat().resolvedOptions() reports for a browser whose first language is `lang`. */
export function intlFor(lang: string, timeZone: string) {
  let hourCycle = hcCache.get(lang)
  let locale = lang
  try {
    locale = new Intl.DateTimeFormat(lang).resolvedOptions().locale
    if (hourCycle === undefined) {
      hourCycle = new Intl.DateTimeFormat(lang, { hour: 'numeric' }).resolvedOptions().hourCycle ?? null
      hcCache.set(lang, hourCycle)
    }
  } catch {
    hourCycle = null
  }
  return { locale, calendar: 'gregory', numberingSystem: 'latn', timeZone, hourCycle: hourCycle ?? null }
}
