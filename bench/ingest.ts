// npm run bench:ingest — identification throughput and latency beside a bare node:http server, in one run.
import { Agent, request } from 'node:http'
import { parseArgs as nodeParseArgs } from 'node:util'
import {
  CONNECTIONS,
  DURATION,
  load,
  payload,
  prime,
  RETURNING_WITH_STORAGE,
  type Result,
} from './ingest-load.js'
import { createPgSchema, fmt, startProcess, startSightline } from './lib.js'

const BROWSERS = 2000

const BARE = `
const http = require('node:http')
const body = JSON.stringify({ requestId: '1732570000000.Ab3dEf', visitorId: '3HNey93AkBW6CRbxV6xP', visitorFound: true, confidence: { score: 1 } })
const server = http.createServer((req, res) => {
  req.resume()
  req.on('end', () => res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body))
})
server.listen(0, '127.0.0.1', () => console.log('serving at http://127.0.0.1:' + server.address().port + '/'))
process.on('SIGTERM', () => server.close(() => process.exit(0)))
`

/**
 * Open-loop load at a steady rate: requests leave on schedule whether or not earlier ones have
 * answered (autocannon's overallRate sends in bursts, which measures the bursts, not the server).
 */
async function paced(url: string, bodies: string[], rate: number): Promise<Result> {
  const agent = new Agent({ keepAlive: true, maxSockets: 256 })
  const target = new URL('/v1/identify', url)
  const latencies: number[] = []
  let errors = 0
  let non2xx = 0
  let sent = 0
  let pending = 0
  const start = performance.now()
  const send = (body: string) => {
    pending++
    const t0 = performance.now()
    const req = request(
      target,
      {
        method: 'POST',
        agent,
        headers: { 'content-type': 'text/plain;charset=UTF-8', 'x-forwarded-for': '8.8.8.8' },
      },
      (res) => {
        res.resume()
        res.on('end', () => {
          latencies.push(performance.now() - t0)
          if (res.statusCode !== 200) non2xx++
          pending--
        })
      },
    )
    req.on('error', () => {
      errors++
      pending--
    })
    req.end(body)
  }
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const elapsed = (performance.now() - start) / 1000
      if (elapsed >= DURATION) {
        clearInterval(timer)
        const wait = setInterval(() => {
          if (pending === 0) {
            clearInterval(wait)
            resolve()
          }
        }, 5)
        return
      }
      while (sent < elapsed * rate) send(bodies[sent++ % bodies.length]!)
    }, 1)
  })
  agent.destroy()
  latencies.sort((a, b) => a - b)
  const q = (p: number) =>
    Math.round(latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))]! * 10) / 10
  return { rps: latencies.length / DURATION, p50: q(0.5), p99: q(0.99), errors, non2xx }
}

function parseArgs(argv: string[]) {
  const { values } = nodeParseArgs({
    args: argv,
    options: { db: { type: 'string', default: 'sqlite' }, workers: { type: 'string', default: '1' } },
  })
  const dbs = values.db === 'both' || values.db === 'postgres' ? ['sqlite', 'postgres'] : ['sqlite']
  if (!['sqlite', 'postgres', 'both'].includes(values.db))
    throw new Error('--db must be sqlite, postgres or both')
  const workers = Number(values.workers)
  if (!Number.isInteger(workers) || workers < 1) throw new Error('--workers must be a positive integer')
  return { dbs: dbs as ('sqlite' | 'postgres')[], workers }
}

async function measure(db: 'sqlite' | 'postgres', workers: number) {
  const schema = db === 'postgres' ? await createPgSchema() : null
  const env: NodeJS.ProcessEnv = { TRUST_PROXY: 'true', ...(schema ? { DATABASE_URL: schema.url } : {}) }
  const sl = await startSightline(env, workers > 1 ? ['--workers', String(workers)] : [])
  try {
    const first = Array.from({ length: BROWSERS }, (_, i) => payload(sl.publicKey, i))
    const stored = await prime(sl.url, first) // also the warm-up: JIT, page caches
    // Returning browsers: most still hold their identifier; the rest cleared storage (fingerprint path).
    const bodies = first.map((_, i) =>
      payload(sl.publicKey, i, i % 10 < RETURNING_WITH_STORAGE * 10 ? (stored[i] ?? null) : null),
    )
    const max = await load(sl.url, bodies)
    const half = await paced(sl.url, bodies, Math.max(1, Math.round(max.rps / 2)))
    return { max, half }
  } finally {
    await sl.stop()
    await schema?.drop()
  }
}

async function main() {
  const { dbs, workers } = parseArgs(process.argv.slice(2))
  console.log(
    `bench:ingest — ${CONNECTIONS} connections, ${DURATION}s per run, ${BROWSERS} synthetic returning browsers ` +
      `(${RETURNING_WITH_STORAGE * 100}% with their stored identifier), ${workers} worker process(es), load generator in this process`,
  )
  const bare = await startProcess(['-e', BARE], /serving at (http:\/\/[^/\s]+)\//)
  const bareResult = await load(bare.url, null)
  await bare.stop()

  const rows: [string, Result][] = [['bare node:http (fixed JSON)', bareResult]]
  const summary: string[] = []
  for (const db of dbs) {
    const { max, half } = await measure(db, workers)
    const name = `sightline ${db}${workers > 1 ? ` ×${workers}` : ''}`
    rows.push([`${name}, max rate`, max], [`${name}, steady ${Math.round(max.rps / 2)} req/s (half)`, half])
    summary.push(
      `${name}: ${fmt((max.rps / bareResult.rps) * 100)}% of bare throughput (target ≥ 30%), ` +
        `p99 at half rate ${half.p99} ms (target < 25 ms)${max.non2xx || half.non2xx ? ' — SOME FAILED' : ''}`,
    )
  }
  console.log('\n| server | req/s | p50 ms | p99 ms | errors | non-2xx |\n|---|---|---|---|---|---|')
  for (const [name, r] of rows) {
    console.log(`| ${name} | ${fmt(r.rps, 0)} | ${r.p50} | ${r.p99} | ${r.errors} | ${r.non2xx} |`)
  }
  console.log(`\n${summary.join('\n')}`)
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
