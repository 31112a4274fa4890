import http from 'node:http'
import https from 'node:https'
import { SERVER_VERSION } from '../version.js'
import { isPublicAddress, literalHost, PrivateTargetError, publicOnlyLookup } from './target.js'

export type SendResult =
  | { kind: 'response'; status: number }
  | { kind: 'error'; error: string }
  /** Stopped by the dispatcher's shutdown: not an attempt. */
  | { kind: 'aborted' }

const USER_AGENT = `Sightline-Webhooks/${SERVER_VERSION}`

/** What went wrong, without anything from the request (the URL may carry a token). */
function describe(err: unknown, timedOut: boolean, timeoutMs: number): string {
  if (timedOut) return `timeout: no response within ${timeoutMs} ms`
  const e = err as { message?: string; code?: string; cause?: { code?: string; message?: string } }
  if (err instanceof PrivateTargetError) return err.message
  const text = e?.cause?.message ?? e?.message ?? e?.code ?? String(err)
  return text.slice(0, 300)
}

export interface SendOptions {
  timeoutMs: number
  stop: AbortSignal
  /** The webhook was added with --allow-private: any address may be reached. */
  allowPrivate: boolean
}

/**
 * One POST of the body; never throws. Redirects are not followed (a 3xx is a failed attempt).
 * Unless allowed, every address the host is or resolves to must be public, checked on the
 * addresses the connection is made to.
 */
export async function postWebhook(
  url: string,
  body: string,
  signatures: Record<string, string>,
  opts: SendOptions,
): Promise<SendResult> {
  if (opts.stop.aborted) return { kind: 'aborted' }
  let target: URL
  try {
    target = new URL(url)
  } catch {
    return { kind: 'error', error: 'invalid URL' }
  }
  const literal = literalHost(target)
  if (!opts.allowPrivate && literal && !isPublicAddress(literal))
    return { kind: 'error', error: new PrivateTargetError(literal, literal).message }
  const timeout = AbortSignal.timeout(opts.timeoutMs)
  const signal = AbortSignal.any([timeout, opts.stop])
  const payload = Buffer.from(body)
  return new Promise<SendResult>((resolve) => {
    const req = (target.protocol === 'https:' ? https : http).request(
      target,
      {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'content-length': String(payload.length),
          'user-agent': USER_AGENT,
          ...signatures,
        },
        // A connection per delivery: a pooled socket would skip the address check.
        agent: false,
        signal,
        ...(opts.allowPrivate ? {} : { lookup: publicOnlyLookup as never }),
      },
      (res) => {
        // Only the status matters; don't wait for (or buffer) whatever the receiver answers.
        resolve({ kind: 'response', status: res.statusCode ?? 0 })
        res.destroy()
      },
    )
    req.on('error', (err) => {
      if (opts.stop.aborted) resolve({ kind: 'aborted' })
      else resolve({ kind: 'error', error: describe(err, timeout.aborted, opts.timeoutMs) })
    })
    req.end(payload)
  })
}
