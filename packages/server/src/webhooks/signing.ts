import { createHmac } from 'node:crypto'

/** The header receivers verify, as the commercial product sends it. */
export const SIGNATURE_HEADER = 'FPJS-Event-Signature'
/** Ours, beside it: signs a timestamp with the body, so receivers can reject replayed deliveries. */
export const TIMESTAMPED_SIGNATURE_HEADER = 'Sightline-Signature'

/** Lowercase hex HMAC-SHA256 of the exact bytes sent. */
export const sign = (body: string | Buffer, secret: string): string =>
  createHmac('sha256', secret).update(body).digest('hex')

/**
 * `v1=<hmac>` for each secret, comma-separated: the current secret first, then the previous one
 * while a rotation is in progress, so receivers holding either secret accept the delivery.
 */
export function signatureHeader(body: string | Buffer, secrets: readonly (string | null)[]): string {
  return secrets
    .filter((s): s is string => typeof s === 'string' && s.length > 0)
    .map((s) => `v1=${sign(body, s)}`)
    .join(',')
}

/**
 * `t=<unix seconds>,v1=<hmac>[,v1=<hmac>]`: each HMAC-SHA256 (lowercase hex) is over
 * `<t>.<body>`, one per secret as in signatureHeader. Each attempt signs its own time.
 */
export function timestampedSignatureHeader(
  body: string | Buffer,
  secrets: readonly (string | null)[],
  unixSeconds: number,
): string {
  const signed = Buffer.concat([Buffer.from(`${unixSeconds}.`), Buffer.from(body)])
  const v1 = signatureHeader(signed, secrets)
  return `t=${unixSeconds}${v1 ? `,${v1}` : ''}`
}

/** The headers of one attempt. */
export function signatureHeaders(body: string, secrets: readonly (string | null)[], nowMs: number) {
  return {
    [SIGNATURE_HEADER]: signatureHeader(body, secrets),
    [TIMESTAMPED_SIGNATURE_HEADER]: timestampedSignatureHeader(body, secrets, Math.floor(nowMs / 1000)),
  }
}
