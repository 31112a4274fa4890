import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { gzipSync } from 'node:zlib'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'

export interface AgentScript {
  body: Buffer
  gzip: Buffer
  hash: string
}

export function loadAgentScript(): AgentScript {
  const file = createRequire(import.meta.url).resolve('@sightline/agent/agent.js')
  const body = readFileSync(file)
  return {
    body,
    gzip: gzipSync(body, { level: 9 }),
    hash: createHash('sha256').update(body).digest('hex').slice(0, 12),
  }
}

/** `/agent.js` (short cache, the URL owners embed) and `/agent.<hash>.js` (immutable, for pinning). */
export async function agentScriptRoutes(app: FastifyInstance, opts: { script: AgentScript }) {
  const { script } = opts
  const send = (req: FastifyRequest, reply: FastifyReply, cache: string) => {
    reply
      .type('text/javascript; charset=utf-8')
      .header('cache-control', cache)
      .header('etag', `"${script.hash}"`)
      .header('vary', 'Accept-Encoding')
      .header('access-control-allow-origin', '*')
      .header('x-content-type-options', 'nosniff')
    if (req.headers['if-none-match'] === `"${script.hash}"`) return reply.code(304).send()
    if (/\bgzip\b/.test(req.headers['accept-encoding'] ?? '')) {
      return reply.header('content-encoding', 'gzip').send(script.gzip)
    }
    return reply.send(script.body)
  }
  app.get('/agent.js', (req, reply) => send(req, reply, 'public, max-age=600'))
  app.get(`/agent.${script.hash}.js`, (req, reply) => send(req, reply, 'public, max-age=31536000, immutable'))
}
