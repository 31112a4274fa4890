// An open-loop load generator, run as its own process by bench:ingest (openLoop() below), so that the
// measuring process's own work never delays a send. Request i is due at start + i / rate, whether or not
// earlier ones have answered, and its latency is timed from when it was due, not from when it left: a
// stall anywhere (generator, kernel, server) counts against every request it delays — no coordinated
// omission. Reads {url, path, headers, bodies, rate, seconds} as JSON on stdin, writes the result as JSON.
import { spawn } from 'node:child_process'
import { Agent, request } from 'node:http'
import { fileURLToPath } from 'node:url'

export interface OpenLoopInput {
  url: string
  path: string
  headers: Record<string, string>
  bodies: string[]
  rate: number
  seconds: number
}

export interface OpenLoopResult {
  rate: number
  sent: number
  /** Answered requests per second of the schedule. */
  rps: number
  /** Latency from each request's due time (ms). */
  p50: number
  p99: number
  p999: number
  max: number
  /** Latency from when the request actually left (what a closed timer would see), for comparison. */
  sentP99: number
  /** How late the generator sent (ms after due): its own share of the latency. */
  lagP99: number
  lagMax: number
  errors: number
  non2xx: number
}

const quantile = (sorted: number[], p: number) =>
  sorted.length === 0
    ? Number.NaN
    : Math.round(sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]! * 10) / 10

async function run(o: OpenLoopInput): Promise<OpenLoopResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: 512 })
  const target = new URL(o.path, o.url)
  // A first second at the same rate, not recorded: the generator's own JIT and sockets warm up.
  const warm = Math.round(o.rate)
  const total = warm + Math.round(o.rate * o.seconds)
  const fromDue: number[] = []
  const fromSent: number[] = []
  const lag: number[] = []
  let errors = 0
  let non2xx = 0
  let done = 0
  let sent = 0
  let finish: () => void = () => {}
  const finished = new Promise<void>((r) => {
    finish = r
  })
  const settle = () => {
    if (++done === total) finish()
  }
  const start = performance.now() + 20
  const send = (i: number) => {
    const due = start + (i * 1000) / o.rate
    const t0 = performance.now()
    const recorded = i >= warm
    if (recorded) lag.push(t0 - due)
    const req = request(target, { method: 'POST', agent, headers: o.headers }, (res) => {
      res.resume()
      res.on('end', () => {
        const t1 = performance.now()
        if (recorded) {
          fromDue.push(t1 - due)
          fromSent.push(t1 - t0)
          if (res.statusCode !== 200) non2xx++
        }
        settle()
      })
    })
    req.on('error', () => {
      if (recorded) errors++
      settle()
    })
    req.end(o.bodies[i % o.bodies.length])
  }
  // Send everything that is due, then sleep until the next one is (timers may wake late: the late ones
  // leave at once and are still timed from their due time).
  const tick = () => {
    const now = performance.now()
    while (sent < total && start + (sent * 1000) / o.rate <= now) send(sent++)
    if (sent < total) {
      const wait = start + (sent * 1000) / o.rate - performance.now()
      if (wait > 1) setTimeout(tick, wait - 1)
      else setImmediate(tick)
    }
  }
  setTimeout(tick, 20)
  await finished
  agent.destroy()
  for (const a of [fromDue, fromSent, lag]) a.sort((x, y) => x - y)
  return {
    rate: o.rate,
    sent: total - warm,
    rps: fromDue.length / o.seconds,
    p50: quantile(fromDue, 0.5),
    p99: quantile(fromDue, 0.99),
    p999: quantile(fromDue, 0.999),
    max: quantile(fromDue, 1),
    sentP99: quantile(fromSent, 0.99),
    lagP99: quantile(lag, 0.99),
    lagMax: quantile(lag, 1),
    errors,
    non2xx,
  }
}

/** Runs the generator in a child process and returns its result. */
export function openLoop(input: OpenLoopInput): Promise<OpenLoopResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url)], {
      stdio: ['pipe', 'pipe', 'inherit'],
    })
    let out = ''
    child.stdout.on('data', (c: Buffer) => {
      out += c
    })
    child.on('error', reject)
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`open-loop generator exited with ${code}`))
      try {
        resolve(JSON.parse(out) as OpenLoopResult)
      } catch (err) {
        reject(err)
      }
    })
    child.stdin.end(JSON.stringify(input))
  })
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  let input = ''
  process.stdin.on('data', (c: Buffer) => {
    input += c
  })
  process.stdin.on('end', () => {
    run(JSON.parse(input) as OpenLoopInput).then(
      (r) => process.stdout.write(JSON.stringify(r)),
      (err) => {
        console.error(err)
        process.exit(1)
      },
    )
  })
}
