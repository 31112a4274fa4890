import assert from 'node:assert/strict'
import { test } from 'node:test'
import { hash, murmur32 } from '../src/hash.js'

test('murmur32 matches the reference MurmurHash3_x86_32 vectors', () => {
  assert.equal(murmur32('', 0), 0)
  assert.equal(murmur32('', 1), 0x514e28b7)
  assert.equal(murmur32('', 0xffffffff), 0x81f16f39)
  assert.equal(murmur32('hello', 0), 0x248bfa47)
  assert.equal(murmur32('The quick brown fox jumps over the lazy dog', 0), 0x2e4ff723)
  assert.equal(murmur32(new Uint8Array([0x21, 0x43, 0x65, 0x87]), 0), 0xf55b516b)
  assert.equal(murmur32(new Uint8Array([0x21, 0x43, 0x65]), 0), 0x7e4a8634)
  assert.equal(murmur32(new Uint8Array([0x21, 0x43]), 0), 0xa0f7b07a)
  assert.equal(murmur32(new Uint8Array([0x21]), 0), 0x72661cf4)
})

test('hash gives 32 hex chars, deterministic and input-sensitive', () => {
  assert.match(hash('abc'), /^[0-9a-f]{32}$/)
  assert.equal(hash('abc'), hash('abc'))
  assert.notEqual(hash('abc'), hash('abd'))
  assert.notEqual(hash('😃'), hash('?'))
})

test('hash is murmur32 under the four seeds i × 0x9e3779b9, for every tail length and an unaligned view', () => {
  const reference = (bytes: Uint8Array) =>
    [0, 1, 2, 3]
      .map((i) =>
        murmur32(bytes, Math.imul(i, 0x9e3779b9) >>> 0)
          .toString(16)
          .padStart(8, '0'),
      )
      .join('')
  let seed = 7
  const random = () => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0
    return seed >>> 24
  }
  for (const len of [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 31, 1000, 20_001]) {
    const bytes = Uint8Array.from({ length: len }, random)
    assert.equal(hash(bytes), reference(bytes), `length ${len}`)
    const unaligned = new Uint8Array(len + 1)
    unaligned.set(bytes, 1)
    assert.equal(hash(unaligned.subarray(1)), reference(bytes), `unaligned, length ${len}`)
  }
  for (const s of ['', 'abc', 'data:image/png;base64,iVBORw0KGgo', '😃☔æ'])
    assert.equal(hash(s), reference(new TextEncoder().encode(s)))
})
