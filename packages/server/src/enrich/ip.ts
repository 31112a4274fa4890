/** An IP address as 32-bit words, most significant first: 1 word for IPv4, 4 for IPv6. */
export interface ParsedIp {
  version: 4 | 6
  words: number[]
}

const HEX_GROUP = /^[0-9a-f]{1,4}$/i

function parseV4(s: string): number | null {
  let n = 0
  let part = 0
  let digits = 0
  let parts = 0
  for (let i = 0; i <= s.length; i++) {
    const c = i < s.length ? s.charCodeAt(i) : 46
    if (c === 46) {
      // No empty parts, no leading zeros (ambiguous octal), each 0..255.
      if (digits === 0 || part > 255 || (digits > 1 && s.charCodeAt(i - digits) === 48) || ++parts > 4)
        return null
      n = n * 256 + part
      part = 0
      digits = 0
    } else if (c >= 48 && c <= 57 && digits < 3) {
      part = part * 10 + c - 48
      digits++
    } else return null
  }
  return parts === 4 ? n : null
}

function parseV6(s: string): number[] | null {
  const pct = s.indexOf('%') // zone id: fe80::1%eth0
  if (pct >= 0) s = s.slice(0, pct)
  const halves = s.split('::')
  if (halves.length > 2) return null
  const groups: number[][] = []
  for (let h = 0; h < halves.length; h++) {
    const half = halves[h]!
    const out: number[] = []
    const parts = half === '' ? [] : half.split(':')
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i]!
      if (p.includes('.') && i === parts.length - 1 && h === halves.length - 1) {
        const v4 = parseV4(p)
        if (v4 === null) return null
        out.push(Math.floor(v4 / 65536), v4 % 65536)
      } else if (HEX_GROUP.test(p)) out.push(Number.parseInt(p, 16))
      else return null
    }
    groups.push(out)
  }
  const head = groups[0] ?? []
  const tail = groups[1] ?? []
  let g: number[]
  if (halves.length === 2) {
    const fill = 8 - head.length - tail.length
    if (fill < 1) return null
    g = [...head, ...new Array<number>(fill).fill(0), ...tail]
  } else {
    if (head.length !== 8) return null
    g = head
  }
  return [0, 2, 4, 6].map((i) => g[i]! * 65536 + g[i + 1]!)
}

/** Parses IPv4/IPv6 text; IPv4-mapped IPv6 (::ffff:a.b.c.d, ::ffff:0102:0304) becomes IPv4. Null if malformed. */
export function parseIp(input: unknown): ParsedIp | null {
  if (typeof input !== 'string' || input.length === 0 || input.length > 64) return null
  const s = input.trim()
  if (!s.includes(':')) {
    const v4 = parseV4(s)
    return v4 === null ? null : { version: 4, words: [v4] }
  }
  const w = parseV6(s.startsWith('[') && s.endsWith(']') ? s.slice(1, -1) : s)
  if (!w) return null
  if (w[0] === 0 && w[1] === 0 && w[2] === 0xffff) return { version: 4, words: [w[3]!] }
  return { version: 6, words: w }
}

// IPv4 special-purpose blocks (RFC 6890 and successors) that never identify a public client.
const V4_SPECIAL: [number, number][] = (
  [
    ['0.0.0.0', 8], // "this network"
    ['10.0.0.0', 8],
    ['100.64.0.0', 10], // CGNAT
    ['127.0.0.0', 8],
    ['169.254.0.0', 16],
    ['172.16.0.0', 12],
    ['192.0.0.0', 24],
    ['192.0.2.0', 24], // documentation
    ['192.88.99.0', 24], // 6to4 relay anycast
    ['192.168.0.0', 16],
    ['198.18.0.0', 15], // benchmarking
    ['198.51.100.0', 24],
    ['203.0.113.0', 24],
    ['224.0.0.0', 4], // multicast
    ['240.0.0.0', 4], // reserved + broadcast
  ] as const
).map(([a, len]) => [parseV4(a)!, len])

function inV4(n: number, base: number, len: number): boolean {
  const size = 2 ** (32 - len)
  return n >= base && n < base + size
}

/** True only for globally routable unicast addresses. */
export function isPublicIp(ip: ParsedIp): boolean {
  const w0 = ip.words[0]!
  if (ip.version === 4) return !V4_SPECIAL.some(([base, len]) => inV4(w0, base, len))
  if (w0 >>> 29 !== 1) return false // outside 2000::/3 (loopback, ULA, link-local, multicast, NAT64, ...)
  if (w0 === 0x20010db8) return false // documentation
  if (w0 >>> 4 === 0x2001001 || w0 >>> 4 === 0x2001002) return false // ORCHID
  if (w0 === 0x20010002 && ip.words[1]! >>> 16 === 0) return false // benchmarking 2001:2::/48
  if (w0 >>> 12 === 0x3fff0) return false // documentation 3fff::/20
  return true
}

export function formatIp(ip: ParsedIp): string {
  if (ip.version === 4) {
    const n = ip.words[0]!
    return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`
  }
  const g = ip.words.flatMap((w) => [w >>> 16, w & 0xffff])
  // RFC 5952: compress the longest run (>= 2) of zero groups.
  let best = -1
  let bestLen = 1
  for (let i = 0; i < 8; ) {
    let j = i
    while (j < 8 && g[j] === 0) j++
    if (j - i > bestLen) {
      best = i
      bestLen = j - i
    }
    i = j === i ? i + 1 : j
  }
  const hex = g.map((x) => x.toString(16))
  if (best < 0) return hex.join(':')
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`
}

/** Keeps the first `prefix` bits. */
export function maskIp(ip: ParsedIp, prefix: number): ParsedIp {
  const words = ip.words.map((w, k) => {
    const bits = Math.min(32, Math.max(0, prefix - 32 * k))
    return bits === 0 ? 0 : bits === 32 ? w : (w & (~0 << (32 - bits))) >>> 0
  })
  return { version: ip.version, words }
}
