// node --import tsx bench/ingest-profile.ts [--db sqlite|postgres] [--top 25] [--out DIR]
// bench:ingest's load (closed loop, after the same warm-up) against one `sightline serve` process started
// with `node --cpu-prof`; prints the functions with the most self time as a markdown table (the table in
// docs/benchmarks.md). Build first (`npm run build`): the server runs from dist/.
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { load, payload, prime, RETURNING_WITH_STORAGE } from './ingest-load.js'
import { createPgSchema, fmt, ROOT, startSightline } from './lib.js'

interface CpuProfile {
  nodes: {
    id: number
    callFrame: { functionName: string; url: string; lineNumber: number }
  }[]
  samples: number[]
  timeDeltas: number[]
}

/** Self time per function (name, file, line), heaviest first. */
export function selfTimes(profile: CpuProfile) {
  const byNode = new Map(profile.nodes.map((n) => [n.id, n]))
  const byFn = new Map<string, number>()
  let total = 0
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0
    total += dt
    const f = byNode.get(id)!.callFrame
    const file = f.url.replace(`file://${ROOT}`, '').replace(/^.*node_modules\//, '')
    const key = `${f.functionName || '(anonymous)'} | ${file ? `${file}:${f.lineNumber + 1}` : ''}`
    byFn.set(key, (byFn.get(key) ?? 0) + dt)
  })
  return { total, rows: [...byFn.entries()].sort((a, b) => b[1] - a[1]) }
}

async function main() {
  const { values } = parseArgs({
    options: {
      db: { type: 'string', default: 'sqlite' },
      top: { type: 'string', default: '25' },
      out: { type: 'string' },
    },
  })
  const dir = values.out ?? mkdtempSync(path.join(tmpdir(), 'sightline-prof-'))
  const schema = values.db === 'postgres' ? await createPgSchema() : null
  const sl = await startSightline(
    { TRUST_PROXY: 'true', ...(schema ? { DATABASE_URL: schema.url } : {}) },
    [],
    ['--cpu-prof', `--cpu-prof-dir=${dir}`],
  )
  let rps = 0
  try {
    const first = Array.from({ length: 2000 }, (_, i) => payload(sl.publicKey, i))
    const stored = await prime(sl.url, first)
    const bodies = first.map((_, i) =>
      payload(sl.publicKey, i, i % 10 < RETURNING_WITH_STORAGE * 10 ? (stored[i] ?? null) : null),
    )
    rps = (await load(sl.url, bodies)).rps
  } finally {
    await sl.stop()
    await schema?.drop()
  }
  const file = readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .sort((a, b) => statSync(path.join(dir, b)).size - statSync(path.join(dir, a)).size)[0]
  if (!file) throw new Error(`no CPU profile written in ${dir}`)
  const { total, rows } = selfTimes(JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as CpuProfile)
  console.log(
    `profile: ${path.join(dir, file)} (${fmt(total / 1e6)} s sampled; load ran at ${fmt(rps, 0)} req/s)`,
  )
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
