import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

export const ROOT = fileURLToPath(new URL('..', import.meta.url))
export const CLI = path.join(ROOT, 'packages/server/dist/cli.js')

export interface Running {
  url: string
  stdout: () => string
  child: ChildProcess
  stop(): Promise<void>
}

/** Starts a process and waits until it prints a line matching `ready` (capturing the base URL). */
export function startProcess(args: string[], ready: RegExp, env: NodeJS.ProcessEnv = {}): Promise<Running> {
  const child = spawn(process.execPath, args, {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  let err = ''
  return new Promise((resolve, reject) => {
    child.stderr.on('data', (c) => {
      err += c
    })
    child.stdout.on('data', (c) => {
      out += c
      const m = ready.exec(out)
      if (m?.[1]) {
        resolve({
          url: m[1],
          stdout: () => out,
          child,
          stop: () =>
            new Promise<void>((r) => {
              child.once('exit', () => r())
              child.kill('SIGTERM')
            }),
        })
      }
    })
    child.once('exit', (code) =>
      reject(new Error(`process exited (${code}) before it was ready:\n${out}\n${err}`)),
    )
  })
}

/**
 * `sightline serve` on a free port with a fresh data dir, and an app of the benchmark's own: the
 * Demo app would serve only the server's own page, and benchmarks post from anywhere.
 */
export async function startSightline(
  env: NodeJS.ProcessEnv = {},
  extraArgs: string[] = [],
  /** Node's own flags for the server process (e.g. --cpu-prof). */
  nodeArgs: string[] = [],
) {
  // BENCH_SERVER_LOG=FILE keeps the server's info log (requests included) for a look at what it did.
  const keepLog = process.env.BENCH_SERVER_LOG
  const dataDir = mkdtempSync(path.join(tmpdir(), 'sightline-bench-'))
  // Benchmarks push one key far past any sane per-key limit: measure the server, not the limiter.
  const fullEnv = {
    LOG_LEVEL: 'warn',
    SIGHTLINE_DEMO: 'false',
    SIGHTLINE_RATE_LIMIT_IDENTIFY: '0',
    SIGHTLINE_RATE_LIMIT_IDENTIFY_PER_ADDRESS: '0',
    SIGHTLINE_RATE_LIMIT_API: '0',
    ...(keepLog ? { LOG_LEVEL: 'info' } : {}),
    ...env,
  }
  const proc = await startProcess(
    [...nodeArgs, CLI, 'serve', '--port', '0', '--host', '127.0.0.1', '--data-dir', dataDir, ...extraArgs],
    /serving at (http:\/\/[^/\s]+)\//,
    fullEnv,
  )
  let app: { id: string; publicKey: string; secretKey: string }
  try {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [CLI, 'apps', 'create', '--name', 'Bench', '--data-dir', dataDir, '--json'],
      { env: { ...process.env, ...fullEnv } },
    )
    app = JSON.parse(stdout)
  } catch (err) {
    await proc.stop()
    throw err
  }
  const { publicKey, secretKey } = app
  return {
    ...proc,
    dataDir,
    appId: app.id,
    publicKey,
    secretKey,
    async stop() {
      await proc.stop()
      if (keepLog) appendFileSync(keepLog, proc.stdout())
      rmSync(dataDir, { recursive: true, force: true })
    },
  }
}

/** Debian Chromium and the flags every benchmark launches it with (as the tests do). */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
]

export const fmt = (n: number, digits = 1) => n.toFixed(digits)

/** A fresh PostgreSQL schema for one benchmark run; `url` points the server's search_path at it. */
export async function createPgSchema(
  base = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
) {
  const { default: pg } = await import('pg')
  const schema = `sightline_bench_${Math.random().toString(36).slice(2, 10)}`
  const client = new pg.Client({ connectionString: base })
  await client.connect()
  await client.query(`create schema "${schema}"`)
  await client.end()
  return {
    schema,
    url: `${base}?options=${encodeURIComponent(`-c search_path=${schema}`)}`,
    async drop() {
      const c = new pg.Client({ connectionString: base })
      await c.connect()
      await c.query(`drop schema if exists "${schema}" cascade`)
      await c.end()
    },
  }
}
