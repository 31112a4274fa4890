import { esc } from './html.js'

/** The sign-in page: plain HTML, works without JavaScript. */
export function signInPage(f: {
  csrf: string
  next: string
  email?: string | undefined
  message?: string | undefined
  noUsers: boolean
}): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>Sign in — Sightline</title>
<link rel="icon" href="data:,">
<style>
:root{--bg:#f6f7f9;--card:#fff;--text:#111827;--mute:#4b5563;--line:#d1d5db;--acc:#1d4ed8;--err:#b91c1c}
@media (prefers-color-scheme:dark){:root{--bg:#0b1120;--card:#111827;--text:#f3f4f6;--mute:#9ca3af;--line:#374151;--acc:#93c5fd;--err:#fca5a5}}
*{box-sizing:border-box}body{margin:0;min-height:100vh;display:grid;place-items:center;background:var(--bg);color:var(--text);font:16px/1.5 system-ui,-apple-system,Segoe UI,Roboto,sans-serif}
main{width:min(380px,92vw);background:var(--card);border:1px solid var(--line);border-radius:12px;padding:28px}
h1{margin:0 0 18px;font-size:22px}label{display:block;margin:14px 0 4px;font-weight:600}
input{width:100%;padding:10px 12px;font:inherit;color:inherit;background:transparent;border:1px solid var(--line);border-radius:8px}
input:focus-visible,button:focus-visible{outline:3px solid var(--acc);outline-offset:2px}
button{margin-top:20px;width:100%;padding:10px;font:inherit;font-weight:600;border:0;border-radius:8px;background:var(--acc);color:var(--bg);cursor:pointer}
.err{color:var(--err);font-weight:600;margin:0 0 8px}.hint{color:var(--mute);font-size:14px}code{font-size:13px}
</style></head>
<body><main>
<h1>Sign in to Sightline</h1>
${f.message ? `<p class="err" role="alert">${esc(f.message)}</p>` : ''}
<form method="post" action="/dashboard/sign-in">
<input type="hidden" name="csrf" value="${esc(f.csrf)}">
<input type="hidden" name="next" value="${esc(f.next)}">
<label for="email">Email</label>
<input id="email" name="email" type="email" autocomplete="username" required value="${esc(f.email ?? '')}"${f.email ? '' : ' autofocus'}>
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required${f.email ? ' autofocus' : ''}>
<button type="submit">Sign in</button>
</form>
${
  f.noUsers
    ? `<p class="hint">No user exists yet. Create the first one on the server:<br><code>sightline users create --email you@example.com --password-stdin --role admin</code></p>`
    : ''
}
</main></body></html>`
}
