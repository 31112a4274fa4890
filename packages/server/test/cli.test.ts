import assert from 'node:assert/strict'
import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { after, describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

const CLI = fileURLToPath(new URL('../src/cli.ts', import.meta.url))
const run = promisify(execFile)
const dirs: string[] = []
const tmp = () => {
  const d = mkdtempSync(path.join(tmpdir(), 'sightline-cli-'))
  dirs.push(d)
  return d
}
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

const cli = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  run(process.execPath, ['--import', 'tsx', CLI, ...args], { env: { ...process.env, ...env } })

async function fails(args: string[]) {
  try {
    await cli(args)
  } catch (err) {
    return err as { code: number; stderr: string }
  }
  throw new Error(`sightline ${args.join(' ')} should have failed`)
}

/** Starts `sightline serve` on a free port; resolves once it prints its address. */
function serve(dataDir: string, extra: string[] = [], env: Record<string, string> = {}) {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', CLI, 'serve', '--port', '0', '--host', '127.0.0.1', '--data-dir', dataDir, ...extra],
    {
      env: { ...process.env, LOG_LEVEL: 'warn', ...env },
    },
  )
  let out = ''
  const ready = new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (c) => {
      out += c
      const m = /serving at (http:\/\/[^/\s]+)\//.exec(out)
      if (m?.[1]) resolve(m[1])
    })
    child.on('exit', (code) => reject(new Error(`serve exited with ${code}: ${out}`)))
  })
  return { child, ready, output: () => out }
}

const exited = (child: ChildProcess) =>
  new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)))

describe('sightline CLI', () => {
  it('creates, lists apps and rotates a secret', async () => {
    const dir = tmp()
    const created = JSON.parse(
      (await cli(['apps', 'create', '--name', 'Shop', '--json', '--data-dir', dir])).stdout,
    )
    assert.deepEqual(Object.keys(created), ['id', 'name', 'publicKey', 'secretKey'])
    assert.equal(created.name, 'Shop')
    assert.match(created.publicKey, /^pk_/)
    assert.match(created.secretKey, /^sk_/)
    const list = JSON.parse((await cli(['apps', 'list', '--json'], { SIGHTLINE_DATA_DIR: dir })).stdout)
    assert.equal(list.length, 1)
    assert.equal(list[0].id, created.id)
    assert.equal(list[0].secretKey, undefined, 'secrets are never listed')
    const text = (await cli(['apps', 'list', '--data-dir', dir])).stdout
    assert.match(text, /Shop/)
    const rotated = JSON.parse(
      (await cli(['apps', 'rotate-secret', created.id, '--json', '--data-dir', dir])).stdout,
    )
    assert.equal(rotated.id, created.id)
    assert.notEqual(rotated.secretKey, created.secretKey)

    // The server sees the new secret, and the old one no longer reads.
    const { child, ready } = serve(dir)
    const url = await ready
    const old = await fetch(`${url}/v1/visitors/x`, { headers: { auth: created.secretKey } })
    assert.equal(old.status, 403)
    const fresh = await fetch(`${url}/v1/visitors/x`, { headers: { auth: rotated.secretKey } })
    assert.equal(fresh.status, 404)
    child.kill('SIGTERM')
    assert.equal(await exited(child), 0)
  })

  it('apps set-origins changes where an app accepts identifications from', async () => {
    const dir = tmp()
    const app = JSON.parse(
      (await cli(['apps', 'create', '--name', 'Shop', '--json', '--data-dir', dir])).stdout,
    )
    const set = await cli([
      'apps',
      'set-origins',
      app.id,
      '--origins',
      'https://shop.example',
      '--data-dir',
      dir,
    ])
    assert.match(set.stdout, /accepts identifications from https:\/\/shop\.example/)
    assert.match((await cli(['apps', 'list', '--data-dir', dir])).stdout, /origins: https:\/\/shop\.example/)
    const { child, ready } = serve(dir)
    const url = await ready
    const from = (origin: string) =>
      fetch(`${url}/v1/identify`, {
        method: 'POST',
        headers: { 'content-type': 'text/plain', origin },
        body: JSON.stringify({ apiKey: app.publicKey, url: 'https://shop.example/', components: {} }),
      })
    assert.equal((await from('https://evil.example')).status, 403)
    assert.equal((await from('https://shop.example')).status, 200)
    child.kill('SIGTERM')
    assert.equal(await exited(child), 0)
    await cli(['apps', 'set-origins', app.id, '--any', '--data-dir', dir])
    assert.match((await cli(['apps', 'list', '--data-dir', dir])).stdout, /origins: any/)
    assert.equal((await fails(['apps', 'set-origins', app.id, '--data-dir', dir])).code, 2)
    assert.match(
      (await fails(['apps', 'set-origins', app.id, '--origins', 'shop', '--data-dir', dir])).stderr,
      /not an origin/,
    )
    assert.match(
      (await fails(['apps', 'set-origins', 'app_nope', '--any', '--data-dir', dir])).stderr,
      /no app with id/,
    )
  })

  it('explains bad usage with exit code 2', async () => {
    const dir = tmp()
    const noName = await fails(['apps', 'create', '--data-dir', dir])
    assert.equal(noName.code, 2)
    assert.match(noName.stderr, /--name/)
    const unknown = await fails(['apps', 'rotate-secret', 'app_nope', '--data-dir', dir])
    assert.match(unknown.stderr, /no app with id app_nope/)
    const badFlag = await fails(['serve', '--bogus'])
    assert.equal(badFlag.code, 2)
    const badPort = await fails(['serve', '--port', 'abc', '--data-dir', dir])
    assert.match(badPort.stderr, /PORT/)
    assert.match((await cli(['--help'])).stdout, /sightline apps create/)
  })

  it('answers --help and --version, and a usage error touches nothing (no ./data)', async () => {
    const cwd = tmp()
    const env = { ...process.env }
    delete env.SIGHTLINE_DATA_DIR
    delete env.DATABASE_URL
    const inCwd = (args: string[]) =>
      run(process.execPath, ['--import', import.meta.resolve('tsx'), CLI, ...args], { cwd, env }).then(
        (r) => ({ code: 0, ...r }),
        (err: { code: number; stdout: string; stderr: string }) => err,
      )
    for (const args of [
      ['apps', '--help'],
      ['apps', 'help'],
      ['webhooks', '--help'],
      ['visitors', '-h'],
    ]) {
      const r = await inCwd(args)
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`)
      assert.match(r.stdout, /Usage:/)
    }
    const version = await inCwd(['--version'])
    assert.match(version.stdout, /^\d+\.\d+\.\d+\n$/)
    for (const args of [
      ['apps', 'crate', '--name', 'Shop'],
      ['apps', 'create'],
      ['apps', 'create', '--name', 'Shop', '--origins', 'shop.example'],
      ['apps', 'rotate-secret'],
      ['apps', 'sealed-key', 'create'],
      ['visitors', 'delete'],
      ['webhooks', 'ad', '--app', 'x'],
      ['webhooks', 'add', '--app', 'x', '--url', 'ftp://x.example'],
      ['serve', '--port', 'abc'],
      ['nonsense'],
    ]) {
      const r = await inCwd(args)
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`)
      assert.match(r.stderr, /Run sightline --help/)
      assert.deepEqual(readdirSync(cwd), [], `${args.join(' ')} left files behind`)
    }
  })

  it('on first start creates the Demo app, prints its keys once, serves the demo, and drains on SIGTERM', async () => {
    const dir = tmp()
    // Info logs: the test waits for the server to say it has the request, then that it is draining.
    const first = serve(dir, [], { LOG_LEVEL: 'info' })
    const url = await first.ready
    assert.match(first.output(), /public key: pk_\w+/)
    // The secret key is in a file only this user can read, never on stdout (where the logs go).
    assert.doesNotMatch(first.output(), /sk_\w/)
    const keyFile = path.join(dir, 'demo-secret-key')
    assert.match(first.output(), new RegExp(`secret key: in ${keyFile.replaceAll('/', '\\/')} `))
    assert.equal(statSync(keyFile).mode & 0o777, 0o600)
    const secretKey = readFileSync(keyFile, 'utf8').trim()
    assert.match(secretKey, /^sk_\w+$/)
    const page = await fetch(`${url}/`)
    assert.match(await page.text(), /<script src="\/agent\.js">/)
    // An identification whose body is still arriving when SIGTERM comes is finished, not dropped.
    const publicKey = /public key: (pk_\w+)/.exec(first.output())![1]!
    const body = JSON.stringify({ apiKey: publicKey, url: 'https://shop.example/', components: {} })
    let req!: ReturnType<typeof request>
    const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
      req = request(
        `${url}/v1/identify`,
        { method: 'POST', headers: { 'content-type': 'text/plain', origin: url } },
        (res) => {
          let text = ''
          res.on('data', (c) => {
            text += c
          })
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }))
        },
      )
      req.on('error', reject)
    })
    req.write(body.slice(0, 20))
    const logged = async (re: RegExp) => {
      while (
        !first
          .output()
          .split('\n')
          .some((line) => re.test(line))
      )
        await new Promise((r) => setTimeout(r, 10))
    }
    await logged(/"msg":"incoming request".*\/v1\/identify|\/v1\/identify.*"msg":"incoming request"/)
    first.child.kill('SIGTERM')
    await logged(/shutting down: draining requests/)
    req.end(body.slice(20))
    const done = await answer
    assert.equal(done.status, 200, done.body)
    assert.match(JSON.parse(done.body).visitorId, /^[A-Za-z0-9]{20}$/)
    assert.equal(await exited(first.child), 0)

    const second = serve(dir)
    await second.ready
    assert.doesNotMatch(second.output(), /secret key/)
    assert.equal(readFileSync(keyFile, 'utf8').trim(), secretKey, 'the file is left as it was')
    const read = await fetch(`${await second.ready}/v1/visitors/nobody`, { headers: { auth: secretKey } })
    assert.equal(read.status, 404, 'the key in the file reads the Demo app')
    second.child.kill('SIGTERM')
    assert.equal(await exited(second.child), 0)
  })
})
