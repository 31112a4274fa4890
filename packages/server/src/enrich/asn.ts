import { readFile } from 'node:fs/promises'
import type { ParsedIp } from './ip.js'

export interface AsnHit {
  asn: number
  name: string
  /** Range bounds as 32-bit words (1 for IPv4, 4 for IPv6), for deriving the network. */
  start: number[]
  end: number[]
}

/**
 * Sorted, non-overlapping IP ranges from @ip-location-db/asn's numeric CSVs (`start,end,asn,org`),
 * held in typed arrays: `width` 32-bit words per address (1 = IPv4, 4 = IPv6), org names deduplicated.
 */
export class AsnTable {
  private constructor(
    private readonly width: number,
    private readonly starts: Uint32Array,
    private readonly ends: Uint32Array,
    private readonly asns: Uint32Array,
    private readonly orgIdx: Uint32Array,
    private readonly orgs: string[],
  ) {}

  get size(): number {
    return this.asns.length
  }

  static async load(path: string, width: 1 | 4): Promise<AsnTable> {
    return AsnTable.parse(await readFile(path), width)
  }

  static parse(buf: Buffer, width: 1 | 4): AsnTable {
    let rows = 0
    for (let at = buf.indexOf(10); at >= 0; at = buf.indexOf(10, at + 1)) rows++
    rows++
    const starts = new Uint32Array(rows * width)
    const ends = new Uint32Array(rows * width)
    const asns = new Uint32Array(rows)
    const orgIdx = new Uint32Array(rows)
    const orgs: string[] = []
    const orgMap = new Map<string, number>()
    let i = 0
    let row = 0

    // Reads a decimal address up to the next comma into out[row]: IPv4 directly, IPv6 (128-bit) by
    // long multiplication over four 32-bit words, six digits at a time (stays below 2^53).
    const readAddr = (out: Uint32Array) => {
      const base = row * width
      if (width === 1) {
        let v = 0
        for (let c = buf[i++]!; c !== 44; c = buf[i++]!) v = v * 10 + c - 48
        out[base] = v
        return
      }
      let w0 = 0
      let w1 = 0
      let w2 = 0
      let w3 = 0
      let c = buf[i++]!
      while (c !== 44) {
        let chunk = 0
        let mul = 1
        for (let n = 0; n < 6 && c !== 44; n++, c = buf[i++]!) {
          chunk = chunk * 10 + c - 48
          mul *= 10
        }
        let x = w3 * mul + chunk
        w3 = x % 4294967296
        x = w2 * mul + Math.floor(x / 4294967296)
        w2 = x % 4294967296
        x = w1 * mul + Math.floor(x / 4294967296)
        w1 = x % 4294967296
        w0 = (w0 * mul + Math.floor(x / 4294967296)) % 4294967296
      }
      out[base] = w0
      out[base + 1] = w1
      out[base + 2] = w2
      out[base + 3] = w3
    }

    while (i < buf.length) {
      let eol = buf.indexOf(10, i)
      if (eol < 0) eol = buf.length
      const lineEnd = buf[eol - 1] === 13 ? eol - 1 : eol
      if (lineEnd <= i) {
        i = eol + 1
        continue
      }
      readAddr(starts)
      readAddr(ends)
      let asn = 0
      for (let c = buf[i++]!; c !== 44; c = buf[i++]!) asn = asn * 10 + c - 48
      let org: string
      if (buf[i] === 34 && buf[lineEnd - 1] === 34)
        org = buf.toString('utf8', i + 1, lineEnd - 1).replaceAll('""', '"')
      else org = buf.toString('utf8', i, lineEnd)
      i = eol + 1
      let idx = orgMap.get(org)
      if (idx === undefined) {
        idx = orgs.length
        orgs.push(org)
        orgMap.set(org, idx)
      }
      asns[row] = asn
      orgIdx[row] = idx
      row++
    }
    const n = row
    return new AsnTable(
      width,
      starts.subarray(0, n * width),
      ends.subarray(0, n * width),
      asns.subarray(0, n),
      orgIdx.subarray(0, n),
      orgs,
    )
  }

  /** Compares the address with row `r` of `arr`: <0, 0, >0. */
  private cmp(w: number[], arr: Uint32Array, r: number): number {
    for (let k = 0; k < this.width; k++) {
      const d = w[k]! - arr[r * this.width + k]!
      if (d !== 0) return d
    }
    return 0
  }

  lookup(ip: ParsedIp): AsnHit | null {
    const w = ip.words
    const width = this.width
    if (w.length !== width) return null
    // Last row whose start <= ip.
    let lo = 0
    let hi = this.asns.length - 1
    let found = -1
    if (width === 1) {
      const v = w[0]!
      const starts = this.starts
      while (lo <= hi) {
        const mid = (lo + hi) >>> 1
        if (starts[mid]! <= v) {
          found = mid
          lo = mid + 1
        } else hi = mid - 1
      }
    } else {
      while (lo <= hi) {
        const mid = (lo + hi) >>> 1
        if (this.cmp(w, this.starts, mid) >= 0) {
          found = mid
          lo = mid + 1
        } else hi = mid - 1
      }
    }
    if (found < 0 || this.cmp(w, this.ends, found) > 0) return null
    const asn = this.asns[found]!
    if (asn === 0) return null // "not routed" rows
    const at = found * width
    return {
      asn,
      name: this.orgs[this.orgIdx[found]!]!,
      start: width === 1 ? [this.starts[at]!] : Array.from(this.starts.subarray(at, at + width)),
      end: width === 1 ? [this.ends[at]!] : Array.from(this.ends.subarray(at, at + width)),
    }
  }

  /** Checks the ordering the binary search relies on; returns the number of bad rows. */
  verify(): number {
    let bad = 0
    for (let r = 0; r < this.asns.length; r++) {
      const s = Array.from(this.starts.subarray(r * this.width, (r + 1) * this.width))
      if (this.cmp(s, this.ends, r) > 0) bad++
      if (r > 0 && this.cmp(s, this.ends, r - 1) <= 0) bad++
    }
    return bad
  }
}
