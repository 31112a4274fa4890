import { SERVER_VERSION } from '../version.js'
import { SIGNATURE_HEADER } from './signing.js'

export type SendResult =
  | { kind: 'response'; status: number }
  | { kind: 'error'; error: string }
  /** Stopped by the dispatcher's shutdown: not an attempt. */
  | { kind: 'aborted' }

const USER_AGENT = `Sightline-Webhooks/${SERVER_VERSION}`

/** What went wrong, without anything from the request (the URL may carry a token). */
function describe(err: unknown, timeoutMs: number): string {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } }
  if (e?.name === 'TimeoutError') return `timeout: no response within ${timeoutMs} ms`
  const text = e?.cause?.message ?? e?.cause?.code ?? e?.message ?? String(err)
  return text.slice(0, 300)
}

/** One POST of the body; never throws. Redirects are not followed (a 3xx is a failed attempt). */
export async function postWebhook(
  url: string,
  body: string,
  signature: string,
  opts: { timeoutMs: number; stop: AbortSignal },
): Promise<SendResult> {
  if (opts.stop.aborted) return { kind: 'aborted' }
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        [SIGNATURE_HEADER]: signature,
        'user-agent': USER_AGENT,
      },
      body,
      redirect: 'manual',
      signal: AbortSignal.any([AbortSignal.timeout(opts.timeoutMs), opts.stop]),
    })
    // Only the status matters; don't wait for (or buffer) whatever the receiver answers.
    await res.body?.cancel().catch(() => {})
    return { kind: 'response', status: res.status }
  } catch (err) {
    if (opts.stop.aborted) return { kind: 'aborted' }
    return { kind: 'error', error: describe(err, opts.timeoutMs) }
  }
}
