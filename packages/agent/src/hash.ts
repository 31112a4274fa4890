const C1 = 0xcc9e2d51
const C2 = 0x1b873593

/** A 4-byte block as murmur mixes it in: the same under every seed. */
const scramble = (k: number) => {
  k = Math.imul(k, C1)
  return Math.imul((k << 15) | (k >>> 17), C2)
}

/** The last 1–3 bytes, scrambled (0 when the length is a multiple of 4, which XORs in as nothing). */
function tailBlock(bytes: Uint8Array): number {
  const len = bytes.length
  const tail = len & ~3
  let k = 0
  switch (len & 3) {
    // biome-ignore lint/suspicious/noFallthroughSwitchClause: murmur tail
    case 3:
      k ^= bytes[tail + 2]! << 16
    // biome-ignore lint/suspicious/noFallthroughSwitchClause: murmur tail
    case 2:
      k ^= bytes[tail + 1]! << 8
    case 1:
      k ^= bytes[tail]!
      return scramble(k)
  }
  return 0
}

/** Murmur's finalisation of a lane, as an unsigned 32-bit number. */
function finish(h: number, len: number): number {
  h ^= len
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b)
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35)
  return (h ^ (h >>> 16)) >>> 0
}

const utf8 = (input: string | Uint8Array) =>
  typeof input === 'string' ? new TextEncoder().encode(input) : input

/** MurmurHash3 x86 32-bit over the UTF-8 bytes of `input`. */
export function murmur32(input: string | Uint8Array, seed = 0): number {
  const bytes = utf8(input)
  const tail = bytes.length & ~3
  let h = seed >>> 0
  for (let i = 0; i < tail; i += 4) {
    h ^= scramble(bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24))
    h = (h << 13) | (h >>> 19)
    h = (Math.imul(h, 5) + 0xe6546b64) | 0
  }
  return finish(h ^ tailBlock(bytes), bytes.length)
}

const SEEDS = [0, 0x9e3779b9, 0x3c6ef372, 0xdaa66d2b] // seed * 0x9e3779b9, seed 0..3, mod 2^32
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1

/**
 * 128-bit non-crypto hash as 32 lowercase hex chars: murmur32 of the UTF-8 bytes under four seeds
 * (SEEDS[i] = i × 0x9e3779b9), computed in one pass. The mixed block is the same under every seed, so four
 * lanes share it; the page runs this before the JIT has warmed up, so the loop is written out rather than
 * calling per block. Inputs are small (canvas passes the CRCs of its PNGs, not the data URLs).
 */
export function hash(input: string | Uint8Array): string {
  const bytes = utf8(input)
  const blocks = bytes.length >> 2
  const words =
    LITTLE_ENDIAN && bytes.byteOffset % 4 === 0
      ? new Uint32Array(bytes.buffer, bytes.byteOffset, blocks)
      : null
  let h0 = SEEDS[0]!
  let h1 = SEEDS[1]!
  let h2 = SEEDS[2]!
  let h3 = SEEDS[3]!
  let k: number
  for (let b = 0; b < blocks; b++) {
    if (words) k = words[b]!
    else {
      const i = b << 2
      k = bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24)
    }
    k = Math.imul(k, C1)
    k = Math.imul((k << 15) | (k >>> 17), C2)
    h0 ^= k
    h0 = (Math.imul((h0 << 13) | (h0 >>> 19), 5) + 0xe6546b64) | 0
    h1 ^= k
    h1 = (Math.imul((h1 << 13) | (h1 >>> 19), 5) + 0xe6546b64) | 0
    h2 ^= k
    h2 = (Math.imul((h2 << 13) | (h2 >>> 19), 5) + 0xe6546b64) | 0
    h3 ^= k
    h3 = (Math.imul((h3 << 13) | (h3 >>> 19), 5) + 0xe6546b64) | 0
  }
  k = tailBlock(bytes)
  return [h0, h1, h2, h3]
    .map((h) =>
      finish(h ^ k, bytes.length)
        .toString(16)
        .padStart(8, '0'),
    )
    .join('')
}
