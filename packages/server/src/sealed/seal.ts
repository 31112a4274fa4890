import { createCipheriv, randomBytes } from 'node:crypto'
import { deflateRawSync } from 'node:zlib'

/** Every sealed result starts with these four bytes. */
export const SEALED_HEADER = Buffer.from([0x9e, 0x85, 0xdc, 0xed])
const NONCE_BYTES = 12

/**
 * `header | nonce (12) | AES-256-GCM ciphertext | tag (16)` over the raw-deflated JSON, no AAD:
 * the layout the field's server SDKs open with `unsealEventsResponse`.
 */
export function seal(json: string, key: Buffer): Buffer {
  if (key.length !== 32) throw new Error('a sealed-results key is 32 bytes')
  const nonce = randomBytes(NONCE_BYTES)
  const cipher = createCipheriv('aes-256-gcm', key, nonce)
  const body = Buffer.concat([cipher.update(deflateRawSync(json)), cipher.final()])
  return Buffer.concat([SEALED_HEADER, nonce, body, cipher.getAuthTag()])
}
