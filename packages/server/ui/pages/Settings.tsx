import { useState } from 'preact/hooks'
import type { AppInfo, SealedKeyInfo, UserInfo, WebhookInfo } from '../../src/dashboard/api-types.js'
import { announce, api, enc, useApi } from '../api.js'
import {
  ConfirmButton,
  Dialog,
  Loading,
  Page,
  SecretBox,
  TableWrap,
  Time,
  useSession,
} from '../components/common.js'

type Secret = { label: string; value: string } | null

/** Runs a write; the live region says how it went. Returns the answer, or null on failure. */
async function write<T>(
  method: 'POST' | 'PATCH' | 'DELETE',
  path: string,
  body?: unknown,
  done?: string,
): Promise<T | null> {
  try {
    const r = await api<T>(method, path, body)
    if (done) announce(done)
    return r
  } catch {
    return null
  }
}

const fields = (e: Event) => {
  e.preventDefault()
  const form = e.currentTarget as HTMLFormElement
  return { form, f: new FormData(form) }
}

const originsText = (o: string[] | null) =>
  o === null ? 'any origin' : o.length ? o.join(', ') : "only this server's pages"

function readOrigins(f: FormData): string[] | null {
  if (f.get('originMode') === 'any') return null
  return String(f.get('origins') ?? '')
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter(Boolean)
}

function OriginFields({ idp, initial }: { idp: string; initial: string[] | null }) {
  const [mode, setMode] = useState(initial === null ? 'any' : 'list')
  return (
    <>
      <div class="field">
        <label htmlFor={`${idp}-mode`}>Allowed origins</label>
        <select
          id={`${idp}-mode`}
          name="originMode"
          value={mode}
          onChange={(e) => setMode(e.currentTarget.value)}
        >
          <option value="any">Any origin</option>
          <option value="list">Only the origins listed</option>
        </select>
      </div>
      <label class="grow">
        Origins, one per line
        <textarea
          name="origins"
          rows={2}
          disabled={mode === 'any'}
          defaultValue={(initial ?? []).join('\n')}
          placeholder="https://shop.example.com"
          aria-describedby={`${idp}-oh`}
        />
      </label>
      <p id={`${idp}-oh`} class="muted hint">
        With no origin listed, only this server's own pages may identify visitors.
      </p>
    </>
  )
}

function AppsSection({ show }: { show: (s: Secret) => void }) {
  const { apps, readOnly, reloadApps } = useSession()
  return (
    <section class="card" aria-labelledby="apps-h">
      <h2 id="apps-h">Apps</h2>
      {apps.length === 0 ? (
        <p>No apps yet.</p>
      ) : (
        <TableWrap label="List of apps">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">App id</th>
              <th scope="col">Public key</th>
              <th scope="col">Allowed origins</th>
              <th scope="col">Created</th>
            </tr>
          </thead>
          <tbody>
            {apps.map((a) => (
              <tr key={a.id}>
                <th scope="row">{a.name}</th>
                <td class="mono">{a.id}</td>
                <td class="mono">{a.publicKey}</td>
                <td>{originsText(a.allowedOrigins)}</td>
                <td>
                  <Time iso={a.createdAt} />
                </td>
              </tr>
            ))}
          </tbody>
        </TableWrap>
      )}
      {!readOnly && (
        <form
          class="sub"
          aria-labelledby="newapp-h"
          onSubmit={async (e) => {
            const { form, f } = fields(e)
            const name = String(f.get('name') ?? '').trim()
            const r = await write<AppInfo & { secretKey: string }>(
              'POST',
              '/apps',
              { name, allowedOrigins: readOrigins(f) },
              `App ${name} created.`,
            )
            if (r) {
              form.reset()
              reloadApps()
              show({ label: `Secret key of ${r.name}`, value: r.secretKey })
            }
          }}
        >
          <h3 id="newapp-h">New app</h3>
          <div class="row wrap">
            <label>
              Name
              <input name="name" required maxLength={200} />
            </label>
            <OriginFields idp="new" initial={[]} />
          </div>
          <button type="submit">Create app</button>
        </form>
      )}
    </section>
  )
}

function AppSection({ app, show }: { app: AppInfo; show: (s: Secret) => void }) {
  const { readOnly, reloadApps } = useSession()
  const base = `/apps/${enc(app.id)}`
  return (
    <section class="card" aria-labelledby="app-h">
      <h2 id="app-h">App “{app.name}”</h2>
      <p class="muted">Choose another app with the App menu at the top.</p>
      {readOnly ? (
        <dl class="facts">
          <dt>Name</dt>
          <dd>{app.name}</dd>
          <dt>Allowed origins</dt>
          <dd>{originsText(app.allowedOrigins)}</dd>
        </dl>
      ) : (
        <>
          <form
            class="row wrap"
            aria-label="Rename the app"
            onSubmit={async (e) => {
              const { f } = fields(e)
              if (await write('PATCH', base, { name: String(f.get('name') ?? '').trim() }, 'App renamed.'))
                reloadApps()
            }}
          >
            <label>
              Name
              <input name="name" required maxLength={200} defaultValue={app.name} />
            </label>
            <button type="submit">Rename</button>
          </form>
          <form
            class="row wrap"
            aria-label="Allowed origins"
            onSubmit={async (e) => {
              const { f } = fields(e)
              if (await write('PATCH', base, { allowedOrigins: readOrigins(f) }, 'Allowed origins saved.'))
                reloadApps()
            }}
          >
            <OriginFields idp="edit" initial={app.allowedOrigins} />
            <button type="submit">Save origins</button>
          </form>
          <ConfirmButton
            label="Rotate secret key"
            title="Rotate the secret key?"
            question="The current secret key stops working at once: servers that use it must get the new one."
            confirmLabel="Rotate secret key"
            danger
            onConfirm={async () => {
              const r = await write<{ secretKey: string }>(
                'POST',
                `${base}/rotate-secret`,
                {},
                'Secret key rotated.',
              )
              if (r) show({ label: `New secret key of ${app.name}`, value: r.secretKey })
            }}
          />
        </>
      )}
      <SealedKeys base={base} show={show} />
      <Webhooks base={base} show={show} />
    </section>
  )
}

function SealedKeys({ base, show }: { base: string; show: (s: Secret) => void }) {
  const { readOnly } = useSession()
  const keys = useApi<SealedKeyInfo[]>(`${base}/sealed-keys`)
  return (
    <div class="sub">
      <h3>Sealed-result keys</h3>
      {keys.loading && !keys.data && <Loading />}
      {keys.data && keys.data.length === 0 && <p class="muted">No sealed-result keys.</p>}
      {keys.data && keys.data.length > 0 && (
        <TableWrap label="Sealed-result keys">
          <thead>
            <tr>
              <th scope="col">Key id</th>
              <th scope="col">Format</th>
              <th scope="col">State</th>
              <th scope="col">Created</th>
              {!readOnly && (
                <th scope="col">
                  <span class="sr-only">Actions</span>
                </th>
              )}
            </tr>
          </thead>
          <tbody>
            {keys.data.map((k) => (
              <tr key={k.id}>
                <th scope="row" class="mono">
                  {k.id}
                </th>
                <td>{k.format}</td>
                <td>{k.active ? 'Active' : 'Disabled'}</td>
                <td>
                  <Time iso={k.createdAt} />
                </td>
                {!readOnly && (
                  <td>
                    {k.active && (
                      <ConfirmButton
                        label="Disable"
                        title="Disable this key?"
                        question="Results are no longer sealed with this key."
                        confirmLabel="Disable key"
                        danger
                        onConfirm={async () => {
                          if (
                            await write(
                              'POST',
                              `${base}/sealed-keys/${enc(k.id)}/disable`,
                              {},
                              'Key disabled.',
                            )
                          )
                            keys.reload()
                        }}
                      />
                    )}
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </TableWrap>
      )}
      {!readOnly && (
        <form
          class="row wrap"
          aria-label="New sealed-result key"
          onSubmit={async (e) => {
            const { f } = fields(e)
            const r = await write<SealedKeyInfo & { key: string }>(
              'POST',
              `${base}/sealed-keys`,
              { format: f.get('format') },
              'Sealed-result key created.',
            )
            if (r) {
              keys.reload()
              show({ label: `Sealed-result key ${r.id}`, value: r.key })
            }
          }}
        >
          <div class="field">
            <label htmlFor="sk-format">Key format</label>
            <select id="sk-format" name="format">
              <option value="v4">v4</option>
              <option value="v3">v3</option>
            </select>
          </div>
          <button type="submit">Create key</button>
        </form>
      )}
    </div>
  )
}

function Webhooks({ base, show }: { base: string; show: (s: Secret) => void }) {
  const { readOnly } = useSession()
  const hooks = useApi<WebhookInfo[]>(`${base}/webhooks`)
  return (
    <div class="sub">
      <h3>Webhooks</h3>
      {hooks.loading && !hooks.data && <Loading />}
      {hooks.data && hooks.data.length === 0 && <p class="muted">No webhooks.</p>}
      {hooks.data?.map((h) => (
        <div class="hook" key={h.id}>
          <h4 class="break">{h.url}</h4>
          <p class="muted">
            Format {h.format} · {h.allowPrivate ? 'private addresses allowed' : 'public addresses only'} ·
            added <Time iso={h.createdAt} />
          </p>
          {!readOnly && (
            <div class="row wrap">
              <ConfirmButton
                label="Rotate secret"
                title="Rotate the webhook's secret?"
                question="The receiver must check signatures with the new secret from now on."
                confirmLabel="Rotate secret"
                onConfirm={async () => {
                  const r = await write<{ secret: string }>(
                    'POST',
                    `${base}/webhooks/${enc(h.id)}/rotate-secret`,
                    {},
                    'Webhook secret rotated.',
                  )
                  if (r) show({ label: `New secret of the webhook ${h.url}`, value: r.secret })
                }}
              />
              <ConfirmButton
                label="Remove"
                title="Remove this webhook?"
                question={`Events will no longer be sent to ${h.url}.`}
                confirmLabel="Remove webhook"
                danger
                onConfirm={async () => {
                  if (await write('DELETE', `${base}/webhooks/${enc(h.id)}`, undefined, 'Webhook removed.'))
                    hooks.reload()
                }}
              />
            </div>
          )}
          <h5>Recent deliveries</h5>
          {h.deliveries.length === 0 ? (
            <p class="muted">No deliveries yet.</p>
          ) : (
            <TableWrap label={`Recent deliveries to ${h.url}`}>
              <thead>
                <tr>
                  <th scope="col">Event</th>
                  <th scope="col">Status</th>
                  <th scope="col" class="n">
                    Attempts
                  </th>
                  <th scope="col">Last answer</th>
                  <th scope="col">Next retry</th>
                  <th scope="col">Created</th>
                </tr>
              </thead>
              <tbody>
                {h.deliveries.map((x) => (
                  <tr key={`${x.eventId}-${x.createdAt}`}>
                    <th scope="row" class="mono">
                      {x.eventId}
                    </th>
                    <td>
                      <span class={`badge st-${x.status}`}>{x.status}</span>
                      {x.deliveredAt && (
                        <>
                          {' '}
                          <Time iso={x.deliveredAt} />
                        </>
                      )}
                    </td>
                    <td class="n">{x.attempts}</td>
                    <td>
                      {[x.lastStatus, x.lastError].filter((s) => s !== null && s !== '').join(' — ') || '—'}
                    </td>
                    <td>
                      <Time iso={x.nextAttemptAt} />
                    </td>
                    <td>
                      <Time iso={x.createdAt} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </TableWrap>
          )}
        </div>
      ))}
      {!readOnly && (
        <form
          class="row wrap"
          aria-label="New webhook"
          onSubmit={async (e) => {
            const { form, f } = fields(e)
            const r = await write<WebhookInfo & { secret: string }>(
              'POST',
              `${base}/webhooks`,
              {
                url: String(f.get('url') ?? '').trim(),
                format: f.get('format'),
                allowPrivate: f.get('allowPrivate') === 'on',
              },
              'Webhook added.',
            )
            if (r) {
              form.reset()
              hooks.reload()
              show({ label: `Secret of the webhook ${r.url}`, value: r.secret })
            }
          }}
        >
          <label class="grow">
            Webhook URL
            <input name="url" type="url" required placeholder="https://example.com/hooks/sightline" />
          </label>
          <div class="field">
            <label htmlFor="wh-format">Format</label>
            <select id="wh-format" name="format">
              <option value="v4">v4</option>
              <option value="v3">v3</option>
            </select>
          </div>
          <label class="check">
            <input type="checkbox" name="allowPrivate" /> Allow private addresses
          </label>
          <button type="submit">Add webhook</button>
        </form>
      )}
    </div>
  )
}

function Users() {
  const { me, readOnly } = useSession()
  const users = useApi<UserInfo[]>('/users', { quiet: true })
  const [reset, setReset] = useState<UserInfo | null>(null)
  return (
    <section class="card" aria-labelledby="users-h">
      <h2 id="users-h">Users</h2>
      {users.loading && !users.data && <Loading />}
      {users.error && <p class="muted">The users could not be listed: {users.error.message}</p>}
      {users.data && (
        <TableWrap label="List of users">
          <thead>
            <tr>
              <th scope="col">Email</th>
              <th scope="col">Role</th>
              <th scope="col">Created</th>
              {!readOnly && (
                <th scope="col">
                  <span class="sr-only">Actions</span>
                </th>
              )}
            </tr>
          </thead>
          <tbody>
            {users.data.map((u) => (
              <tr key={u.id}>
                <th scope="row">
                  {u.email}
                  {u.email === me.email ? <span class="muted"> (you)</span> : null}
                </th>
                <td>{u.role}</td>
                <td>
                  <Time iso={u.createdAt} />
                </td>
                {!readOnly && (
                  <td>
                    <div class="row">
                      <button type="button" class="secondary" onClick={() => setReset(u)}>
                        Reset password
                      </button>
                      <ConfirmButton
                        label="Delete"
                        title="Delete this user?"
                        question={`${u.email} will no longer be able to sign in.`}
                        confirmLabel="Delete user"
                        danger
                        onConfirm={async () => {
                          if (
                            await write(
                              'DELETE',
                              `/users/${enc(u.id)}`,
                              undefined,
                              `User ${u.email} deleted.`,
                            )
                          )
                            users.reload()
                        }}
                      />
                    </div>
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </TableWrap>
      )}
      <Dialog open={reset !== null} title="Reset password" onClose={() => setReset(null)}>
        <form
          onSubmit={async (e) => {
            const { f } = fields(e)
            const u = reset
            if (!u) return
            if (
              await write(
                'POST',
                `/users/${enc(u.id)}/password`,
                { password: f.get('password') },
                `Password of ${u.email} reset.`,
              )
            )
              setReset(null)
          }}
        >
          <label>
            New password for {reset?.email}
            <input name="password" type="password" required minLength={8} autoComplete="new-password" />
          </label>
          <div class="row">
            <button type="submit">Save password</button>
            <button type="button" class="secondary" onClick={() => setReset(null)}>
              Cancel
            </button>
          </div>
        </form>
      </Dialog>
      {!readOnly && (
        <form
          class="sub"
          aria-labelledby="newuser-h"
          onSubmit={async (e) => {
            const { form, f } = fields(e)
            const email = String(f.get('email') ?? '').trim()
            const body = { email, password: f.get('password'), role: f.get('role') }
            if (await write('POST', '/users', body, `User ${email} added.`)) {
              form.reset()
              users.reload()
            }
          }}
        >
          <h3 id="newuser-h">New user</h3>
          <div class="row wrap">
            <label>
              Email
              <input name="email" type="email" required autoComplete="off" />
            </label>
            <label>
              Password
              <input name="password" type="password" required minLength={8} autoComplete="new-password" />
            </label>
            <div class="field">
              <label htmlFor="nu-role">Role</label>
              <select id="nu-role" name="role">
                <option value="viewer">Viewer (read only)</option>
                <option value="admin">Admin</option>
              </select>
            </div>
          </div>
          <button type="submit">Add user</button>
        </form>
      )}
    </section>
  )
}

export function SettingsPage({ app }: { app?: AppInfo }) {
  const { readOnly } = useSession()
  const [secret, setSecret] = useState<Secret>(null)
  return (
    <Page title="Settings">
      {readOnly && <p class="note">You have read-only access.</p>}
      {secret && <SecretBox label={secret.label} value={secret.value} onDone={() => setSecret(null)} />}
      <AppsSection show={setSecret} />
      {app && <AppSection key={app.id} app={app} show={setSecret} />}
      <Users />
    </Page>
  )
}
