// node --import tsx bench/ingest-profile.ts [--db sqlite|postgres] [--top 25] [--out DIR] [--webhook [--separate]]
// bench:ingest's load (closed loop, after the same warm-up) against one `sightline serve` process started
// with `node --cpu-prof`; prints the functions with the most self time as a markdown table, and the self
// time grouped by where it is spent (the tables in docs/benchmarks.md). --webhook: the app has one webhook
// to a local receiver during the load; --separate: the server runs with --no-dispatch and a `sightline
// dispatch` process sends (the profile is the server's). Build first (`npm run build`): the server runs from dist/.
import { execFile } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { createServer } from 'node:http'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { parseArgs, promisify } from 'node:util'
import { load, payload, prime, RETURNING_WITH_STORAGE } from './ingest-load.js'
import { CLI, createPgSchema, fmt, ROOT, type Running, startProcess, startSightline } from './lib.js'

interface CpuProfile {
  nodes: {
    id: number
    callFrame: { functionName: string; url: string; lineNumber: number }
  }[]
  samples: number[]
  timeDeltas: number[]
  endTime: number
}

/**
 * Self time per function (name, file, line), heaviest first, over the samples taken between `from` and
 * `to` µs before the profile ended (default: all of them).
 */
export function selfTimes(profile: CpuProfile, from = Number.POSITIVE_INFINITY, to = 0) {
  const byNode = new Map(profile.nodes.map((n) => [n.id, n]))
  const byFn = new Map<string, number>()
  let total = 0
  let elapsed = 0
  const span = profile.timeDeltas.reduce((a, b) => a + b, 0)
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0
    elapsed += dt
    const before = span - elapsed
    if (before > from || before < to) return
    total += dt
    const f = byNode.get(id)!.callFrame
    const file = f.url.replace(`file://${ROOT}`, '').replace(/^.*node_modules\//, '')
    const key = `${f.functionName || '(anonymous)'} | ${file ? `${file}:${f.lineNumber + 1}` : ''}`
    byFn.set(key, (byFn.get(key) ?? 0) + dt)
  })
  return { total, rows: [...byFn.entries()].sort((a, b) => b[1] - a[1]) }
}

/** CPU time (user + system) a process has used so far, from /proc (Linux). */
function processCpuMs(pid: number | undefined): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? []
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100
}

/** Where a function's self time is counted, from its name and file. */
export function groupOf(key: string): string {
  const [name = '', where = ''] = key.split(' | ')
  if (name === '(garbage collector)') return 'garbage collector'
  if (name === '(idle)') return 'idle'
  if (name === '(program)') return 'V8 (program)'
  if (where.startsWith('better-sqlite3') || name === 'executeQuery') return 'SQLite running statements'
  if (where.startsWith('pg')) return 'pg client'
  if (where.startsWith('kysely')) return 'Kysely'
  if (where.startsWith('fastify') || where.startsWith('find-my-way') || where.startsWith('light-my-request'))
    return 'Fastify'
  const server = /^\/?packages\/server\/dist\/([a-z-]+)\//.exec(where)
  if (server) return `server \`${server[1]}/\``
  if (/^\/?packages\/server\/dist\//.test(where)) return 'server (top level)'
  if (where === '' || where.startsWith('node:')) return 'node internals (crypto, streams, http)'
  return 'other libraries'
}

async function main() {
  const { values } = parseArgs({
    options: {
      db: { type: 'string', default: 'sqlite' },
      top: { type: 'string', default: '25' },
      out: { type: 'string' },
      webhook: { type: 'boolean', default: false },
      separate: { type: 'boolean', default: false },
    },
  })
  const dir = values.out ?? mkdtempSync(path.join(tmpdir(), 'sightline-prof-'))
  const schema = values.db === 'postgres' ? await createPgSchema() : null
  const sl = await startSightline(
    { TRUST_PROXY: 'true', ...(schema ? { DATABASE_URL: schema.url } : {}) },
    values.separate ? ['--no-dispatch'] : [],
    ['--cpu-prof', `--cpu-prof-dir=${dir}`],
  )
  let dispatcher: Running | null = null
  let rps = 0
  let cpuShares = ''
  let received = 0
  let receivedDuring = 0
  let loadStarted = 0
  let loadEnded = 0
  let exited = 0
  const receiver = createServer((req, res) => {
    req.resume()
    req.on('end', () => {
      received++
      res.writeHead(200).end()
    })
  })
  try {
    const first = Array.from({ length: 2000 }, (_, i) => payload(sl.publicKey, i))
    const stored = await prime(sl.url, first)
    const bodies = first.map((_, i) =>
      payload(sl.publicKey, i, i % 10 < RETURNING_WITH_STORAGE * 10 ? (stored[i] ?? null) : null),
    )
    if (values.webhook) {
      await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r))
      const { port } = receiver.address() as { port: number }
      const url = `http://127.0.0.1:${port}/hook`
      await promisify(execFile)(
        process.execPath,
        [
          CLI,
          'webhooks',
          'add',
          '--app',
          sl.appId,
          '--url',
          url,
          '--allow-private',
          '--data-dir',
          sl.dataDir,
        ],
        { env: { ...process.env, ...(schema ? { DATABASE_URL: schema.url } : {}) } },
      )
      // The server caches each app's webhook list for a few seconds.
      await new Promise((r) => setTimeout(r, 6000))
      if (values.separate)
        dispatcher = await startProcess(
          [CLI, 'dispatch', '--data-dir', sl.dataDir],
          /is (dispatching) webhook deliveries/,
          { LOG_LEVEL: 'warn', ...(schema ? { DATABASE_URL: schema.url } : {}) },
        )
    }
    const cpu0 = process.cpuUsage()
    const server0 = processCpuMs(sl.child.pid)
    const t0 = performance.now()
    rps = (await load(sl.url, bodies)).rps
    loadEnded = performance.now()
    loadStarted = t0
    const wall = loadEnded - t0
    receivedDuring = received
    const { user, system } = process.cpuUsage(cpu0)
    cpuShares = `CPU during the load: server ${fmt(((processCpuMs(sl.child.pid) - server0) / wall) * 100, 0)}% of a core, load generator${values.webhook ? ' and receiver' : ''} ${fmt(((user + system) / 1000 / wall) * 100, 0)}%`
  } finally {
    await dispatcher?.stop()
    await sl.stop()
    exited = performance.now()
    receiver.close()
    await schema?.drop()
  }
  const file = readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .sort((a, b) => statSync(path.join(dir, b)).size - statSync(path.join(dir, a)).size)[0]
  if (!file) throw new Error(`no CPU profile written in ${dir}`)
  // Only the load: not the warm-up, the wait for the webhook cache, nor the shutdown.
  const { total, rows } = selfTimes(
    JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as CpuProfile,
    (exited - loadStarted) * 1000,
    (exited - loadEnded) * 1000,
  )
  const identifications = (rps * (loadEnded - loadStarted)) / 1000
  console.log(
    `profile: ${path.join(dir, file)} (${fmt(total / 1e6)} s sampled during the load, which ran at ${fmt(rps, 0)} req/s)`,
  )
  console.log(cpuShares)
  if (values.webhook) console.log(`webhook deliveries received during the load: ${receivedDuring}`)
  const groups = new Map<string, number>()
  for (const [key, us] of rows) groups.set(groupOf(key), (groups.get(groupOf(key)) ?? 0) + us)
  console.log('\n| where the CPU went (self time, grouped) | self % | µs per identification |\n|---|---|---|')
  for (const [g, us] of [...groups].sort((a, b) => b[1] - a[1]))
    console.log(`| ${g} | ${fmt((us / total) * 100)}% | ${fmt(us / identifications, 0)} |`)
  console.log('\n| self % | self ms | function | where |\n|---|---|---|---|')
  for (const [key, us] of rows.slice(0, Number(values.top))) {
    const [full = '', where] = key.split(' | ')
    // A RegExp's "name" is its whole source.
    const name = full.length > 60 ? `${full.slice(0, 57)}…` : full
    console.log(`| ${fmt((us / total) * 100)} | ${fmt(us / 1000, 0)} | \`${name}\` | ${where} |`)
  }
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
