import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { after, describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

// The README's commands, run the way a reader runs them: `npx sightline …` in the repository, after
// `npm run build` (which `npm test` does first). npx runs offline, so a missing local bin fails here
// instead of asking the registry for a stranger's package called `sightline`.
const ROOT = fileURLToPath(new URL('../../../', import.meta.url))
const run = promisify(execFile)
const dataDir = mkdtempSync(path.join(tmpdir(), 'sightline-readme-'))
after(() => rmSync(dataDir, { recursive: true, force: true }))

const env: NodeJS.ProcessEnv = { ...process.env, SIGHTLINE_DATA_DIR: dataDir, npm_config_offline: 'true' }
delete env.DATABASE_URL

const shell = (line: string) => run('sh', ['-c', line], { cwd: ROOT, env })

/** Lines of the README's fenced blocks of the given language ('' for blocks without one). */
function blocks(lang: string): string[] {
  const lines: string[] = []
  let open: string | null = null
  for (const line of readFileSync(path.join(ROOT, 'README.md'), 'utf8').split('\n')) {
    const fence = /^```(\S*)\s*$/.exec(line)
    if (fence) open = open === null ? (fence[1] ?? '') : null
    else if (open === lang) lines.push(line)
  }
  return lines
}

describe('README', () => {
  it('every `npx sightline` line works verbatim in the repository', async () => {
    const lines = blocks('sh')
      .filter((l) => l.startsWith('npx sightline '))
      .map((l) => l.replace(/\s+#\s.*$/, ''))
    assert.ok(lines.length >= 3, 'the README shows the CLI')
    let appId: string | undefined
    for (const line of lines) {
      const command = appId ? line.replaceAll('APP_ID', appId) : line
      assert.doesNotMatch(command, /APP_ID/, `${line}: the README creates an app before it names one`)
      const { stdout } = await shell(command)
      appId ??= /Created app (\S+)/.exec(stdout)?.[1]
      assert.match(stdout, /public key: pk_|signing secret: whsec_|key: \S{20,}/, `${line}: ${stdout}`)
    }
    assert.ok(appId, 'the first line creates an app')
    assert.ok(existsSync(path.join(dataDir, 'sightline.db')), 'the commands used SIGHTLINE_DATA_DIR')
  })

  it('every command in the CLI synopsis answers --help', async () => {
    const synopsis = blocks('').filter((l) => l.startsWith('sightline '))
    assert.ok(synopsis.length >= 5)
    for (const line of synopsis) {
      const words = line.split(/\s+/).slice(1)
      const command = words.slice(0, words.findIndex((w) => !/^[a-z][a-z-]*$/.test(w)) >>> 0)
      const { stdout } = await shell(`npx sightline ${command.join(' ')} --help`)
      assert.match(stdout, /Usage:/, line)
    }
  })

  it('npx sightline --version prints the server package version', async () => {
    const { version } = JSON.parse(readFileSync(path.join(ROOT, 'packages/server/package.json'), 'utf8'))
    assert.equal((await shell('npx sightline --version')).stdout.trim(), version)
  })
})
