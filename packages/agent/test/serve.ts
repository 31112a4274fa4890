import { readFileSync } from 'node:fs'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface Seen {
  method: string
  contentType: string | undefined
  origin: string | undefined
  body: any
}

const listen = async (server: Server) => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

export const close = (server: Server) => {
  server.closeAllConnections()
  return new Promise<void>((r) => server.close(() => r()))
}

const PAGE = `<!doctype html><html><head><meta charset="utf-8"><script src="/agent.js"></script></head>
<body><h1>Sightline test page</h1><p>Some text.</p></body></html>`

/** The test page under style sheets that would distort text measured in the page's own elements. */
const STYLED = PAGE.replace(
  '</head>',
  `<style>* { letter-spacing: 3px !important; font-size: 9px !important; font-family: serif !important;
  text-transform: uppercase !important } div { zoom: 1.5 } span { padding: 4px !important }</style></head>`,
)

/**
 * Serves the test page, dist/agent.js, /sandbox (the page inside a sandboxed iframe, storage blocked) and
 * /styled (the page under hostile style sheets).
 */
export async function startSite() {
  const agent = readFileSync(new URL('../dist/agent.js', import.meta.url))
  const server = createServer((req, res) => {
    if (req.url === '/agent.js') return res.writeHead(200, { 'content-type': 'text/javascript' }).end(agent)
    const html =
      req.url === '/sandbox'
        ? '<!doctype html><iframe sandbox="allow-scripts" src="/"></iframe>'
        : req.url === '/styled'
          ? STYLED
          : PAGE
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html)
  })
  return { server, url: await listen(server) }
}

const json = (res: ServerResponse, status: number, body: unknown) =>
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body))

const fail = (res: ServerResponse, status: number, code: string, message: string) =>
  json(res, status, { error: { code, message } })

/** Why a body breaks docs/agent-protocol.md, or null. */
function invalid(req: IncomingMessage, b: any): string | null {
  if (!req.headers['content-type']?.startsWith('text/plain'))
    return `content-type ${req.headers['content-type']}`
  if (b?.v !== 1) return 'v'
  if (typeof b.url !== 'string' || !/^https?:/.test(b.url) || b.url.length > 2048) return 'url'
  if (typeof b.referrer !== 'string') return 'referrer'
  if (b.storedId !== null && typeof b.storedId !== 'string') return 'storedId'
  if (b.linkedId !== undefined && typeof b.linkedId !== 'string') return 'linkedId'
  const names = Object.keys(b.components ?? {})
  if (!names.length || names.length > 128) return 'components'
  for (const name of names) {
    const c = b.components[name]
    if (!/^[a-z][A-Za-z0-9]{0,63}$/.test(name)) return `component name ${name}`
    if (typeof c.duration !== 'number' || c.duration < 0) return `${name}.duration`
    if ('value' in c === 'error' in c) return `${name}: value xor error`
    if ('error' in c && typeof c.error !== 'string') return `${name}.error`
    if (Object.keys(c).some((k) => !['value', 'error', 'duration'].includes(k))) return `${name}: extra keys`
  }
  return null
}

/**
 * A stand-in identify endpoint. API keys pick the behaviour: pk_test answers like the server,
 * pk_forbidden → 403, pk_limited → 429, pk_invalid → 400, pk_hang never answers.
 */
export async function startStub() {
  const seen: Seen[] = []
  let next = 0
  const server = createServer(async (req, res) => {
    res.setHeader('access-control-allow-origin', '*')
    let raw = ''
    for await (const chunk of req) raw += chunk
    let body: any = null
    try {
      body = JSON.parse(raw)
    } catch {}
    seen.push({
      method: req.method!,
      contentType: req.headers['content-type'],
      origin: req.headers.origin,
      body,
    })
    if (req.method === 'OPTIONS') return res.writeHead(204).end()
    if (req.method !== 'POST' || req.url !== '/v1/identify') return fail(res, 404, 'NotFound', 'not found')
    if (raw.length > 64 * 1024) return fail(res, 413, 'TooLarge', 'payload too large')
    const why = invalid(req, body)
    if (why) return fail(res, 400, 'RequestCannotBeParsed', `stub: bad ${why}`)
    switch (body.apiKey) {
      case 'pk_test': {
        const storedId = body.storedId ?? `sid_${++next}_${'x'.repeat(40)}`
        return json(res, 200, {
          requestId: `${Date.now()}.req${seen.length}`,
          visitorId: `visitor-${storedId.split('_')[1]}`,
          visitorFound: body.storedId !== null,
          confidence: { score: 1 },
          storedId,
          ...(body.extendedResult ? { ip: '127.0.0.1' } : {}),
        })
      }
      case 'pk_forbidden':
        return fail(res, 403, 'TokenNotFound', 'API key not found')
      case 'pk_limited':
        return fail(res, 429, 'TooManyRequests', 'Too many requests, rate limit exceeded')
      case 'pk_invalid':
        return fail(res, 400, 'RequestCannotBeParsed', 'invalid body.tag: too large')
      case 'pk_hang':
        return
      default:
        return fail(res, 403, 'TokenNotFound', 'API key not found')
    }
  })
  return { server, url: await listen(server), seen }
}
