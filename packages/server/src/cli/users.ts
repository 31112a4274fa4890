import { parseArgs } from 'node:util'
import { hashPassword, passwordProblem } from '../dashboard/passwords.js'
import {
  countAdmins,
  deleteUser,
  findUser,
  insertUser,
  isEmail,
  listUsers,
  type Role,
  setPassword,
  type User,
} from '../store/users.js'
import { randomAlnum } from '../util/random.js'
import { DB_OPTIONS, printer, UsageError, withDb } from './common.js'

const HELP = `sightline users — who may sign in to the dashboard (/dashboard)

Usage:
  sightline users create --email EMAIL --password-stdin [--role admin|viewer] [--json]
  sightline users list [--json]
  sightline users delete (USER_ID | EMAIL) [--json]
  sightline users reset-password (USER_ID | EMAIL) --password-stdin [--json]

  The password is read from standard input (its first line), never from the command line:
    printf '%s\\n' 'a long password' | sightline users create --email you@example.com --password-stdin
  Passwords have at least 10 characters. An admin manages apps, keys, webhooks and users; a
  viewer (the default is admin for the first user, viewer after) only reads. Resetting a password
  or deleting a user ends their sessions. Every command also takes --data-dir and --database-url.
`

const OPTIONS = {
  ...DB_OPTIONS,
  email: { type: 'string' },
  role: { type: 'string' },
  'password-stdin': { type: 'boolean' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const

async function readPassword(flag: boolean | undefined, command: string): Promise<string> {
  if (!flag) throw new UsageError(`users ${command} needs --password-stdin (the password on standard input)`)
  if (process.stdin.isTTY) process.stderr.write('Password (the input is shown): ')
  const chunks: Buffer[] = []
  for await (const chunk of process.stdin) {
    chunks.push(chunk as Buffer)
    if (Buffer.concat(chunks).includes(10)) break
  }
  const password = (Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0] ?? '').replace(/\r$/, '')
  const problem = passwordProblem(password)
  if (problem) throw new UsageError(problem)
  return password
}

const line = (u: User) => `${u.id}  ${u.email}  ${u.role}  created ${new Date(u.createdAt).toISOString()}`
const shown = (u: User) => ({ ...u, createdAt: new Date(u.createdAt).toISOString() })

export async function run(argv: string[]): Promise<void> {
  const [sub, ...rest] = argv
  const { values, positionals } = parseArgs({ args: rest, options: OPTIONS, allowPositionals: true })
  if (!sub || sub === '--help' || sub === '-h' || sub === 'help' || values.help)
    return void process.stdout.write(HELP)
  const out = printer(values.json)

  if (sub === 'create') {
    if (positionals.length) throw new UsageError('users create takes no positional arguments')
    const email = values.email?.trim()
    if (!email) throw new UsageError('users create needs --email EMAIL')
    if (!isEmail(email)) throw new UsageError(`--email: ${email} is not an email address`)
    const role = values.role
    if (role !== undefined && role !== 'admin' && role !== 'viewer')
      throw new UsageError('--role must be admin or viewer')
    const passwordHash = await hashPassword(await readPassword(values['password-stdin'], 'create'))
    return withDb(values, async ({ kysely }) => {
      // The first account administers; later ones read unless told otherwise.
      const chosen: Role = role ?? ((await listUsers(kysely)).length === 0 ? 'admin' : 'viewer')
      const user = await insertUser(kysely, {
        id: `user_${randomAlnum(16)}`,
        email,
        passwordHash,
        role: chosen,
        createdAt: Date.now(),
      })
      if (!user) throw new UsageError(`a user with email ${email.toLowerCase()} already exists`)
      out(shown(user), `Created ${user.role} ${user.email} (${user.id}). Sign in at /dashboard.`)
    })
  }

  if (sub === 'list') {
    if (positionals.length) throw new UsageError('users list takes no positional arguments')
    return withDb(values, async ({ kysely }) => {
      const users = await listUsers(kysely)
      out(
        users.map(shown),
        users.length
          ? users.map(line).join('\n')
          : "No users yet: printf '%s\\n' 'a long password' | sightline users create --email you@example.com --password-stdin",
      )
    })
  }

  if (sub === 'delete' || sub === 'reset-password') {
    const who = positionals[0]
    if (!who || positionals.length > 1) throw new UsageError(`users ${sub} needs one USER_ID or EMAIL`)
    const password = sub === 'reset-password' ? await readPassword(values['password-stdin'], sub) : null
    return withDb(values, async ({ kysely }) => {
      const user = await findUser(kysely, who)
      if (!user) throw new UsageError(`no user ${who}`)
      if (password !== null) {
        await setPassword(kysely, user.id, await hashPassword(password))
        out(
          { ...shown(user), passwordReset: true },
          `New password set for ${user.email}; their sessions ended.`,
        )
        return
      }
      if (user.role === 'admin' && (await countAdmins(kysely)) <= 1 && (await listUsers(kysely)).length > 1)
        throw new UsageError(`${user.email} is the only admin: make another admin first`)
      await deleteUser(kysely, user.id)
      out({ ...shown(user), deleted: true }, `Deleted ${user.email} (${user.id}) and their sessions.`)
    })
  }
  throw new UsageError(`unknown command: users ${sub}`)
}
