import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { after, describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { verifyPassword } from '../src/dashboard/passwords.js'
import { openDatabase } from '../src/store/db.js'
import { findUserByEmail } from '../src/store/users.js'

const CLI = fileURLToPath(new URL('../src/cli.ts', import.meta.url))
const dataDir = mkdtempSync(path.join(tmpdir(), 'sightline-users-'))
after(() => rmSync(dataDir, { recursive: true, force: true }))

function cli(args: string[], stdin = ''): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args, '--data-dir', dataDir])
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    child.on('error', reject)
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }))
    child.stdin.end(stdin)
  })
}

async function passwordOf(email: string, password: string) {
  const db = openDatabase({ dataDir })
  try {
    const found = await findUserByEmail(db.kysely, email)
    assert.ok(found, `${email} exists`)
    return verifyPassword(password, found.passwordHash)
  } finally {
    await db.close()
  }
}

describe('sightline users', () => {
  it('creates the first user as an admin from a password on standard input, and lists it', async () => {
    const made = await cli(
      ['users', 'create', '--email', 'Owner@Example.com', '--password-stdin', '--json'],
      'first password!\n',
    )
    assert.equal(made.code, 0, made.stderr)
    const user = JSON.parse(made.stdout)
    assert.equal(user.email, 'owner@example.com')
    assert.equal(user.role, 'admin', 'the first user administers')
    assert.equal(await passwordOf('owner@example.com', 'first password!'), true)
    assert.equal(await passwordOf('owner@example.com', 'first password'), false)

    const second = await cli(
      ['users', 'create', '--email', 'analyst@example.com', '--password-stdin'],
      'second password\n',
    )
    assert.equal(second.code, 0, second.stderr)
    assert.match(second.stdout, /Created viewer analyst@example\.com/)

    const list = await cli(['users', 'list', '--json'])
    assert.deepEqual(
      JSON.parse(list.stdout).map((u: any) => [u.email, u.role]),
      [
        ['analyst@example.com', 'viewer'],
        ['owner@example.com', 'admin'],
      ],
    )
    assert.doesNotMatch(list.stdout, /scrypt|password/i, 'hashes are never printed')
  })

  it('refuses a short password, a duplicate email, a missing --password-stdin and a bad role, changing nothing', async () => {
    for (const [args, stdin, message] of [
      [
        ['users', 'create', '--email', 'x@example.com', '--password-stdin'],
        'short\n',
        /at least 10 characters/,
      ],
      [
        ['users', 'create', '--email', 'OWNER@example.com', '--password-stdin'],
        'long enough pw\n',
        /already exists/,
      ],
      [['users', 'create', '--email', 'x@example.com'], '', /needs --password-stdin/],
      [
        ['users', 'create', '--email', 'x@example.com', '--role', 'root', '--password-stdin'],
        'long enough pw\n',
        /admin or viewer/,
      ],
      [['users', 'create', '--password-stdin'], 'long enough pw\n', /needs --email/],
      [['users', 'delete', 'nobody@example.com'], '', /no user nobody@example\.com/],
    ] as const) {
      const r = await cli([...args], stdin)
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`)
      assert.match(r.stderr, message)
    }
    const list = await cli(['users', 'list', '--json'])
    assert.equal(JSON.parse(list.stdout).length, 2)
  })

  it('resets a password and deletes users, but keeps the only admin while others remain', async () => {
    const reset = await cli(
      ['users', 'reset-password', 'analyst@example.com', '--password-stdin'],
      'a new password\n',
    )
    assert.equal(reset.code, 0, reset.stderr)
    assert.equal(await passwordOf('analyst@example.com', 'a new password'), true)
    const onlyAdmin = await cli(['users', 'delete', 'owner@example.com'])
    assert.equal(onlyAdmin.code, 2)
    assert.match(onlyAdmin.stderr, /only admin/)
    const del = await cli(['users', 'delete', 'analyst@example.com'])
    assert.equal(del.code, 0, del.stderr)
    assert.deepEqual(
      JSON.parse((await cli(['users', 'list', '--json'])).stdout).map((u: any) => u.email),
      ['owner@example.com'],
    )
  })
})
