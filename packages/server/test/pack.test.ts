import assert from 'node:assert/strict'
import { execFile, spawn } from 'node:child_process'
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { after, describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

// The packages as a stranger gets them: packed, installed from the tarballs into an empty project
// (dependencies from the npm registry, through the local cache first), then run and imported there.
const ROOT = fileURLToPath(new URL('../../../', import.meta.url))
const run = promisify(execFile)
const require = createRequire(import.meta.url)
const work = mkdtempSync(path.join(tmpdir(), 'sightline-pack-'))
const project = path.join(work, 'project')
after(() => rmSync(work, { recursive: true, force: true }))

const version = (pkg: string) =>
  (JSON.parse(readFileSync(require.resolve(`${pkg}/package.json`), 'utf8')) as { version: string }).version
const npm = (args: string[], cwd: string) =>
  run('npm', [...args, '--no-audit', '--no-fund', '--loglevel=error'], { cwd, maxBuffer: 1 << 24 })

interface Packed {
  name: string
  filename: string
  files: { path: string }[]
}

describe('packed packages', () => {
  let packed: Packed[] = []

  it('pack only what a user needs: built code, types, bin, README and LICENSE', async () => {
    const { stdout } = await npm(
      [
        'pack',
        '-w',
        '@sightline/agent',
        '-w',
        '@sightline/server',
        '-w',
        '@sightline/react',
        '--pack-destination',
        work,
        '--json',
      ],
      ROOT,
    )
    packed = JSON.parse(stdout)
    const files = (name: string) => packed.find((p) => p.name === name)!.files.map((f) => f.path)
    for (const name of ['@sightline/agent', '@sightline/server', '@sightline/react']) {
      const list = files(name)
      for (const f of ['LICENSE', 'README.md', 'package.json']) assert.ok(list.includes(f), `${name}: ${f}`)
      const stray = list.filter((f) => /^(src|test)\//.test(f) || f.endsWith('.map') || f.endsWith('.ts.map'))
      assert.deepEqual(stray, [], `${name} ships sources or tests`)
    }
    for (const f of ['bin/sightline.js', 'dist/cli.js', 'dist/index.js', 'dist/index.d.ts'])
      assert.ok(files('@sightline/server').includes(f), f)
    for (const f of ['dist/agent.js', 'dist/esm/index.js', 'dist/cjs/index.js', 'dist/global.d.ts'])
      assert.ok(files('@sightline/agent').includes(f), f)
    for (const f of ['dist/index.js', 'dist/index.d.ts']) assert.ok(files('@sightline/react').includes(f), f)
  })

  it('install into an empty project; npx sightline --version and serve work there', async () => {
    assert.equal(packed.length, 3, 'packed first')
    mkdirSync(project)
    const tarball = (name: string) => `file:${path.join(work, packed.find((p) => p.name === name)!.filename)}`
    writeFileSync(
      path.join(project, 'package.json'),
      JSON.stringify({
        name: 'consumer',
        private: true,
        dependencies: {
          '@sightline/agent': tarball('@sightline/agent'),
          '@sightline/server': tarball('@sightline/server'),
          '@sightline/react': tarball('@sightline/react'),
          react: version('react'),
          'react-dom': version('react-dom'),
          '@types/react': version('@types/react'),
          '@types/react-dom': version('@types/react-dom'),
          // The version this repository built, so its native binding can be reused below.
          'better-sqlite3': version('better-sqlite3'),
        },
      }),
    )
    // The only install script among the runtime dependencies is better-sqlite3's native build, which
    // the repository's own install already ran for this exact version and Node: copy its product rather
    // than compile SQLite again (minutes on a small machine).
    await npm(['install', '--prefer-offline', '--ignore-scripts'], project)
    const pending = JSON.parse(
      (await npm(['approve-scripts', '--allow-scripts-pending', '--json'], project)).stdout,
    )
    assert.deepEqual(
      pending.allowScripts.map((p: { name: string }) => p.name),
      ['better-sqlite3'],
      'no other dependency needs an install script',
    )
    const binding = 'build/Release/better_sqlite3.node'
    mkdirSync(path.join(project, 'node_modules/better-sqlite3/build/Release'), { recursive: true })
    copyFileSync(
      path.join(path.dirname(require.resolve('better-sqlite3/package.json')), binding),
      path.join(project, 'node_modules/better-sqlite3', binding),
    )

    const { stdout } = await run('npx', ['--offline', 'sightline', '--version'], { cwd: project })
    assert.equal(stdout.trim(), version('@sightline/server'))

    const dataDir = path.join(work, 'data')
    const child = spawn(
      'npx',
      ['--offline', 'sightline', 'serve', '--port', '0', '--host', '127.0.0.1', '--data-dir', dataDir],
      { cwd: project, env: { ...process.env, LOG_LEVEL: 'warn' }, detached: true },
    )
    let out = ''
    try {
      const url = await new Promise<string>((resolve, reject) => {
        child.stdout.on('data', (c) => {
          out += c
          const m = /serving at (http:\/\/[^/\s]+)\//.exec(out)
          if (m?.[1]) resolve(m[1])
        })
        child.stderr.on('data', (c) => {
          out += c
        })
        child.on('exit', (code) => reject(new Error(`serve exited with ${code}: ${out}`)))
      })
      assert.match(out, /public key: pk_/)
      const ready = await fetch(`${url}/readyz`)
      assert.equal(ready.status, 200)
      const agent = await fetch(`${url}/agent.js`)
      assert.equal(agent.status, 200)
      assert.equal(
        await agent.text(),
        readFileSync(path.join(project, 'node_modules/@sightline/agent/dist/agent.js'), 'utf8'),
      )
    } finally {
      const exited = new Promise((resolve) => child.on('exit', resolve))
      process.kill(-child.pid!, 'SIGTERM')
      await exited
    }
  })

  it('the agent imports from ESM and CommonJS, with types for both and for the script tag global; the React helper renders on the server', async () => {
    assert.ok(readFileSync(path.join(project, 'package.json')), 'installed first')
    const files: Record<string, string> = {
      'esm.mts': `import { load, STABLE_COMPONENTS, type Agent, type GetResult } from '@sightline/agent'
import { createSightline, loadConfig, type Sightline } from '@sightline/server'
const agent: Promise<Agent> | undefined = typeof window === 'undefined' ? undefined : load({ apiKey: 'pk_x' })
const use = (r: GetResult): string => r.visitorId
const server: (c: ReturnType<typeof loadConfig>) => Promise<Sightline> = createSightline
console.log(JSON.stringify([typeof load, STABLE_COMPONENTS.length > 0, typeof agent, typeof use, typeof server]))
`,
      'cjs.cts': `import agent = require('@sightline/agent')
import stable = require('@sightline/agent/stable')
const loading: Promise<agent.Agent> | undefined = typeof window === 'undefined' ? undefined : agent.load({ apiKey: 'pk_x' })
console.log(JSON.stringify([typeof agent.load, stable.STABLE_COMPONENTS.length > 0, typeof loading]))
`,
      // The React helper renders on the server without touching a browser API: loading, no data yet.
      'react.mts': `import { createElement } from 'react'
import { renderToString } from 'react-dom/server'
import { SightlineProvider, useVisitorData, type VisitorQueryResult } from '@sightline/react'
function Visitor() {
  const r: VisitorQueryResult = useVisitorData({ linkedId: 'u' })
  return createElement('p', null, r.isLoading ? 'loading' : (r.data?.visitorId ?? 'none'))
}
const html = renderToString(
  createElement(SightlineProvider, { loadOptions: { apiKey: 'pk_x' } }, createElement(Visitor)),
)
console.log(JSON.stringify(html))
`,
      'page.ts': `/// <reference types="@sightline/agent/global" />
export const visitorId = (): Promise<string> =>
  Sightline.load({ apiKey: 'pk_x' }).then((a) => a.get({ linkedId: 'u' })).then((r) => r.visitorId)
`,
      'tsconfig.json': JSON.stringify({
        compilerOptions: {
          strict: true,
          module: 'nodenext',
          moduleResolution: 'nodenext',
          target: 'es2022',
          lib: ['es2022', 'dom'],
          types: [],
          skipLibCheck: true,
          outDir: 'out',
        },
        include: ['*.mts', '*.cts', '*.ts'],
      }),
    }
    for (const [name, text] of Object.entries(files)) writeFileSync(path.join(project, name), text)
    // A type error fails here, with tsc's message.
    await run(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', project], {
      cwd: project,
    }).catch((err: { stdout: string }) => assert.fail(err.stdout))
    const esm = await run(process.execPath, ['out/esm.mjs'], { cwd: project })
    assert.deepEqual(JSON.parse(esm.stdout), ['function', true, 'undefined', 'function', 'function'])
    const cjs = await run(process.execPath, ['out/cjs.cjs'], { cwd: project })
    assert.deepEqual(JSON.parse(cjs.stdout), ['function', true, 'undefined'])
    const react = await run(process.execPath, ['out/react.mjs'], { cwd: project })
    assert.equal(JSON.parse(react.stdout), '<p>loading</p>')
  })
})
