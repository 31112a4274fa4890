/** MurmurHash3 x86 32-bit over the UTF-8 bytes of `input`. */
export function murmur32(input: string | Uint8Array, seed = 0): number {
  const bytes = typeof input === 'string' ? new TextEncoder().encode(input) : input
  const len = bytes.length
  const tail = len & ~3
  let h = seed >>> 0
  let k: number
  for (let i = 0; i < tail; i += 4) {
    k = bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24)
    k = Math.imul(k, 0xcc9e2d51)
    k = Math.imul((k << 15) | (k >>> 17), 0x1b873593)
    h ^= k
    h = (h << 13) | (h >>> 19)
    h = (Math.imul(h, 5) + 0xe6546b64) | 0
  }
  k = 0
  switch (len & 3) {
    // biome-ignore lint/suspicious/noFallthroughSwitchClause: murmur tail
    case 3:
      k ^= bytes[tail + 2]! << 16
    // biome-ignore lint/suspicious/noFallthroughSwitchClause: murmur tail
    case 2:
      k ^= bytes[tail + 1]! << 8
    case 1:
      k ^= bytes[tail]!
      k = Math.imul(k, 0xcc9e2d51)
      h ^= Math.imul((k << 15) | (k >>> 17), 0x1b873593)
  }
  h ^= len
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b)
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35)
  return (h ^ (h >>> 16)) >>> 0
}

/** 128-bit non-crypto hash as 32 lowercase hex chars: four seeded murmur32 runs. */
export function hash(input: string): string {
  const bytes = new TextEncoder().encode(input)
  let out = ''
  for (let seed = 0; seed < 4; seed++)
    out += murmur32(bytes, seed * 0x9e3779b9)
      .toString(16)
      .padStart(8, '0')
  return out
}
