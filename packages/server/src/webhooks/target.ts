import dns, { type LookupAddress, type LookupOptions } from 'node:dns'
import { isIP } from 'node:net'
import { isPublicIp, parseIp } from '../enrich/ip.js'

/**
 * A webhook may not reach loopback, link-local, private, unique-local or other non-public addresses
 * (the server's own admin ports, cloud metadata at 169.254.169.254, the office network) unless its
 * owner allowed it with --allow-private.
 */
export const isPublicAddress = (address: string): boolean => {
  const ip = parseIp(address)
  return ip !== null && isPublicIp(ip)
}

/**
 * A webhook's URL as given, or why it cannot be one (said of "the URL"; callers name their field):
 * http(s) only, no credentials (they would be logged and shown), at most 2048 characters.
 */
export function parseWebhookUrl(raw: string): URL | { problem: string } {
  const text = raw.trim()
  let url: URL
  try {
    url = new URL(text)
  } catch {
    return { problem: `${text} is not a URL like https://api.example.com/webhooks` }
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    return { problem: 'the URL must be an http:// or https:// URL' }
  if (url.username || url.password)
    return { problem: 'the URL must not contain credentials; put a token in the path or query instead' }
  if (text.length > 2048) return { problem: 'the URL is longer than 2048 characters' }
  return url
}

export class PrivateTargetError extends Error {
  readonly code = 'EPRIVATETARGET'
  constructor(host: string, address: string) {
    super(
      `refused: ${host} ${host === address ? 'is' : `resolves to ${address}`}, not a public address ` +
        '(a webhook added with --allow-private may use one)',
    )
  }
}

/** The URL's host when it is an IP address literal (brackets removed), else null. */
export function literalHost(url: URL): string | null {
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1')
  return isIP(host) ? host : null
}

type LookupCallback = (
  err: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void

/**
 * A `lookup` for http.request that fails when any address of the name is not public: the check
 * happens on the very addresses the connection uses, so DNS changing after the webhook was added
 * (or between a check and the connection) cannot slip a private address through.
 */
export function publicOnlyLookup(hostname: string, options: LookupOptions, callback: LookupCallback): void {
  dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
    if (err) return callback(err, [])
    const list = addresses as LookupAddress[]
    const bad = list.find((a) => !isPublicAddress(a.address))
    if (bad) return callback(new PrivateTargetError(hostname, bad.address), [])
    if (options.all) return callback(null, list)
    const first = list[0]
    if (!first)
      return callback(Object.assign(new Error(`${hostname}: no address`), { code: 'ENOTFOUND' }), [])
    callback(null, first.address, first.family)
  })
}

/**
 * When a webhook is added: the first non-public address the URL's host is or resolves to, null when
 * all are public, or `unresolved` when the name does not resolve now (deliveries check again).
 */
export async function privateAddressOf(url: URL): Promise<string | null | 'unresolved'> {
  const literal = literalHost(url)
  if (literal) return isPublicAddress(literal) ? null : literal
  try {
    const list = await dns.promises.lookup(url.hostname, { all: true })
    return list.find((a) => !isPublicAddress(a.address))?.address ?? null
  } catch {
    return 'unresolved'
  }
}
