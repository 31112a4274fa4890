// npm run bench:ingest — identification throughput and latency beside a bare node:http server, in one run.

import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
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
import { type OpenLoopResult, openLoop } from './open-loop.js'

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

const FLOOR = fileURLToPath(new URL('./floor-server.ts', import.meta.url))

/**
 * The floor (bench/floor-server.ts): the server's parser and ingest schema and one durable visit insert
 * on the same database, with as many processes, under the same closed-loop load.
 */
async function measureFloor(db: 'sqlite' | 'postgres', workers: number, bodies: string[]) {
  const schema = db === 'postgres' ? await createPgSchema() : null
  const dataDir = mkdtempSync(path.join(tmpdir(), 'sightline-floor-'))
  const floor = await startProcess(['--import', 'tsx', FLOOR], /serving at (http:\/\/[^/\s]+)\//, {
    FLOOR_WORKERS: String(workers),
    FLOOR_DATA_DIR: dataDir,
    ...(schema ? { FLOOR_DATABASE_URL: schema.url } : {}),
  })
  try {
    await prime(floor.url, bodies.slice(0, BROWSERS)) // the same warm-up as ours
    return await load(floor.url, bodies)
  } finally {
    await floor.stop()
    rmSync(dataDir, { recursive: true, force: true })
    await schema?.drop()
  }
}

/** Open-loop load at half the maximum rate, from a generator in its own process (bench/open-loop.ts). */
const paced = (url: string, bodies: string[], rate: number) =>
  openLoop({
    url,
    path: '/v1/identify',
    headers: { 'content-type': 'text/plain;charset=UTF-8', 'x-forwarded-for': '8.8.8.8' },
    bodies,
    rate,
    seconds: DURATION,
  })

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
    const floor = await measureFloor(db, workers, bodies)
    return { max, half, floor }
  } finally {
    await sl.stop()
    await schema?.drop()
  }
}

async function main() {
  const { dbs, workers } = parseArgs(process.argv.slice(2))
  console.log(
    `bench:ingest — ${CONNECTIONS} connections, ${DURATION}s per run, ${BROWSERS} synthetic returning browsers ` +
      `(${RETURNING_WITH_STORAGE * 100}% with their stored identifier), ${workers} worker process(es); ` +
      'max rate: autocannon (closed loop) in this process; half rate: open loop from a separate process, ' +
      'each request timed from when it was due',
  )
  const bare = await startProcess(['-e', BARE], /serving at (http:\/\/[^/\s]+)\//)
  const bareResult = await load(bare.url, null)
  await bare.stop()

  const rows: [string, Result][] = [['bare node:http (fixed JSON)', bareResult]]
  const steady: [string, OpenLoopResult][] = []
  const summary: string[] = []
  for (const db of dbs) {
    const { max, half, floor } = await measure(db, workers)
    const name = `sightline ${db}${workers > 1 ? ` ×${workers}` : ''}`
    rows.push([`${name}, max rate`, max])
    rows.push([
      `floor ${db}${workers > 1 ? ` ×${workers}` : ''} (parse + ingest schema + one visit insert)`,
      floor,
    ])
    steady.push([`${name}, open loop at ${half.rate} req/s (half the max)`, half])
    summary.push(
      `${name}: ${fmt(max.rps / floor.rps, 2)} of the floor's throughput (target ≥ 0.5), ` +
        `${fmt((max.rps / bareResult.rps) * 100)}% of bare's, ` +
        `p99 at half rate ${half.p99} ms from due time (target ≤ ${db === 'postgres' ? 25 : 15} ms)${max.non2xx || half.non2xx || half.errors ? ' — SOME FAILED' : ''}`,
    )
  }
  console.log('\n| server | req/s | p50 ms | p99 ms | errors | non-2xx |\n|---|---|---|---|---|---|')
  for (const [name, r] of rows) {
    console.log(`| ${name} | ${fmt(r.rps, 0)} | ${r.p50} | ${r.p99} | ${r.errors} | ${r.non2xx} |`)
  }
  console.log(
    '\n| steady load | answered req/s | p50 ms | p99 ms | p99.9 ms | max ms | p99 ms timed from send | generator lag p99 / max ms | errors | non-2xx |\n|---|---|---|---|---|---|---|---|---|---|',
  )
  for (const [name, r] of steady) {
    console.log(
      `| ${name} | ${fmt(r.rps, 0)} | ${r.p50} | ${r.p99} | ${r.p999} | ${r.max} | ${r.sentP99} | ${r.lagP99} / ${r.lagMax} | ${r.errors} | ${r.non2xx} |`,
    )
  }
  console.log(`\n${summary.join('\n')}`)
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
