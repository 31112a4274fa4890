// A minimal MaxMind DB (.mmdb) writer for test fixtures: IPv6 tree (IPv4 under ::/96), 24-bit records.
// Format: https://maxmind.github.io/MaxMind-DB/
import { parseIp } from '../../src/enrich/ip.js'

export type MmdbValue = string | number | boolean | MmdbValue[] | { [key: string]: MmdbValue }

function control(type: number, size: number): Buffer {
  const head: number[] = []
  let sizeBits = size
  const extra: number[] = []
  if (size >= 285) {
    sizeBits = 30
    extra.push((size - 285) >> 8, (size - 285) & 255)
  } else if (size >= 29) {
    sizeBits = 29
    extra.push(size - 29)
  }
  if (type <= 7) head.push((type << 5) | sizeBits)
  else head.push(sizeBits, type - 7)
  return Buffer.from([...head, ...extra])
}

function uintBytes(n: number): Buffer {
  const out: number[] = []
  while (n > 0) {
    out.unshift(n & 255)
    n = Math.floor(n / 256)
  }
  return Buffer.from(out)
}

export function encode(v: MmdbValue, uintType: 'uint16' | 'uint32' = 'uint32'): Buffer {
  if (typeof v === 'string') {
    const b = Buffer.from(v, 'utf8')
    return Buffer.concat([control(2, b.length), b])
  }
  if (typeof v === 'boolean') return control(14, v ? 1 : 0)
  if (typeof v === 'number') {
    if (Number.isInteger(v) && v >= 0 && v < 2 ** 32) {
      const b = uintBytes(v)
      return Buffer.concat([control(uintType === 'uint16' ? 5 : 6, b.length), b])
    }
    const b = Buffer.alloc(8)
    b.writeDoubleBE(v)
    return Buffer.concat([control(3, 8), b])
  }
  if (Array.isArray(v)) return Buffer.concat([control(11, v.length), ...v.map((x) => encode(x))])
  const entries = Object.entries(v)
  return Buffer.concat([control(7, entries.length), ...entries.flatMap(([k, x]) => [encode(k), encode(x)])])
}

/** Builds a database from `network -> record`, e.g. `['81.2.69.0/24', {...}]`. Networks must not overlap. */
export function writeMmdb(
  databaseType: string,
  networks: [string, MmdbValue][],
  buildEpoch = 1_700_000_000,
): Buffer {
  const nodes: [number, number][] = [[-1, -1]] // -1 = empty; >= 0 node index; data as {data: offset}
  const dataMarks = new Map<string, number>() // "node:side" -> data offset
  const chunks: Buffer[] = []
  let dataSize = 0
  for (const [cidr, record] of networks) {
    const [addr, len] = cidr.split('/')
    const ip = parseIp(addr!)
    if (!ip) throw new Error(`bad network ${cidr}`)
    const words = ip.version === 4 ? [0, 0, 0, ip.words[0]!] : ip.words
    const bits = Number(len) + (ip.version === 4 ? 96 : 0)
    const enc = encode(record)
    const offset = dataSize
    chunks.push(enc)
    dataSize += enc.length
    let node = 0
    for (let i = 0; i < bits; i++) {
      const bit = (words[i >>> 5]! >>> (31 - (i & 31))) & 1
      if (i === bits - 1) {
        dataMarks.set(`${node}:${bit}`, offset)
        break
      }
      let next = nodes[node]![bit]!
      if (next < 0) {
        next = nodes.length
        nodes.push([-1, -1])
        nodes[node]![bit] = next
      }
      node = next
    }
  }
  const nodeCount = nodes.length
  const tree = Buffer.alloc(nodeCount * 6)
  nodes.forEach((rec, n) => {
    for (const side of [0, 1]) {
      const mark = dataMarks.get(`${n}:${side}`)
      const value = mark !== undefined ? nodeCount + 16 + mark : rec[side]! < 0 ? nodeCount : rec[side]!
      tree.writeUIntBE(value, n * 6 + side * 3, 3)
    }
  })
  const metadata = Buffer.concat([
    control(7, 9),
    encode('node_count'),
    encode(nodeCount),
    encode('record_size'),
    encode(24, 'uint16'),
    encode('ip_version'),
    encode(6, 'uint16'),
    encode('database_type'),
    encode(databaseType),
    encode('languages'),
    encode(['en']),
    encode('binary_format_major_version'),
    encode(2, 'uint16'),
    encode('binary_format_minor_version'),
    encode(0, 'uint16'),
    encode('build_epoch'),
    encode(buildEpoch),
    encode('description'),
    encode({ en: `Sightline test fixture (${databaseType})` }),
  ])
  return Buffer.concat([
    tree,
    Buffer.alloc(16),
    ...chunks,
    Buffer.from([0xab, 0xcd, 0xef]),
    Buffer.from('MaxMind.com'),
    metadata,
  ])
}
