import type { FastifyInstance } from 'fastify'
import type { Kysely } from 'kysely'
import { HttpError } from '../http/errors.js'
import { errorResponses, ok } from '../http/server-api-schemas.js'
import { visitorHistory } from '../http/visitors-v1.js'
import type { TokenCheck } from '../identify/token.js'
import { V1History } from '../schemas/v1.js'
import type { Database } from '../store/schema.js'
import { findVisit } from '../store/visits.js'
import { esc } from './html.js'

export interface DemoOptions {
  db: Kysely<Database>
  /** The Demo app, or null when there is none (`--no-demo`, or it was deleted). */
  demo: () => { id: string; publicKey: string } | null
  agentPath: string
  /** Checks a stored identifier of `appId` with the server's token secrets. */
  verifyStoredId(appId: string, storedId: string): Promise<TokenCheck>
}

/** The page asks for its history right after identifying; an older identification reads nothing. */
const HISTORY_WINDOW_MS = 10 * 60_000

export function demoPage(publicKey: string, agentPath: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sightline — demo</title>
<style>
:root{--bg:#0f172a;--card:#111c34;--line:#22304f;--text:#e2e8f0;--mute:#94a3b8;--acc:#38bdf8;--ok:#4ade80;--warn:#fbbf24}
*{box-sizing:border-box}body{margin:0;font:15px/1.5 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;background:var(--bg);color:var(--text)}
header{padding:28px 32px 8px}h1{margin:0;font-size:22px;letter-spacing:.02em}h1 span{color:var(--acc)}
header p{margin:4px 0 0;color:var(--mute)}main{padding:16px 32px 40px;display:grid;gap:18px;max-width:1100px}
.card{background:var(--card);border:1px solid var(--line);border-radius:12px;padding:18px 20px}
.id{font:600 28px/1.2 ui-monospace,SFMono-Regular,Menlo,monospace;color:var(--acc);word-break:break-all}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(170px,1fr));gap:12px;margin-top:14px}
.k{color:var(--mute);font-size:12px;text-transform:uppercase;letter-spacing:.06em}.v{font-weight:600}
.ok{color:var(--ok)}.warn{color:var(--warn)}
table{width:100%;border-collapse:collapse;font-size:13px}th,td{text-align:left;padding:7px 8px;border-bottom:1px solid var(--line);vertical-align:top}
th{color:var(--mute);font-weight:500}td code{font-size:12px}
details{border-top:1px solid var(--line);padding:6px 0}summary{cursor:pointer;display:flex;justify-content:space-between;gap:12px}
summary .d{color:var(--mute);font-size:12px}pre{margin:6px 0 0;white-space:pre-wrap;word-break:break-all;font-size:12px;color:#cbd5e1}
footer{padding:0 32px 28px;color:var(--mute);font-size:12px}a{color:var(--acc)}
</style></head>
<body>
<header><h1>Sightline <span>demo</span></h1><p>This page identified your browser with the agent at <code>${esc(agentPath)}</code>. Reload it, open a private window, or clear cookies: the visitor ID should stay.</p></header>
<main>
<section class="card" id="result"><div class="k">Visitor ID</div><div class="id" id="visitorId">identifying…</div>
<div class="grid">
<div><div class="k">Visitor found</div><div class="v" id="found">—</div></div>
<div><div class="k">Confidence</div><div class="v" id="confidence">—</div></div>
<div><div class="k">Request ID</div><div class="v" id="requestId">—</div></div>
<div><div class="k">Time to identify</div><div class="v" id="elapsed">—</div></div>
</div></section>
<section class="card"><h2 style="margin:0 0 8px;font-size:16px">Visit history</h2>
<table><thead><tr><th>Time (UTC)</th><th>IP</th><th>Location</th><th>Browser</th><th>Bot</th><th>Fingerprint</th></tr></thead><tbody id="history"><tr><td colspan="6">…</td></tr></tbody></table></section>
<section class="card"><h2 style="margin:0 0 8px;font-size:16px">Signals <span class="k" id="signalCount"></span></h2><div id="signals">…</div></section>
</main>
<footer>Sightline is open source and self-hosted: nothing on this page is sent anywhere but this server. <a href="https://db-ip.com">IP Geolocation by DB-IP</a> (CC BY 4.0).</footer>
<script src="${esc(agentPath)}"></script>
<script>
(function(){
  var $ = function(id){ return document.getElementById(id) };
  var text = function(el, s){ el.textContent = s };
  function cell(tr, s){ var td = document.createElement('td'); td.textContent = s == null ? '—' : String(s); tr.appendChild(td); return td }
  if (!window.Sightline) { text($('visitorId'), 'the agent did not load'); return }
  var t0 = performance.now();
  Sightline.load({ apiKey: ${JSON.stringify(publicKey)}, endpoint: location.origin })
    .then(function(agent){ return agent.get({ tag: { page: 'demo' } }) })
    .then(function(r){
      text($('visitorId'), r.visitorId);
      text($('found'), r.visitorFound ? 'yes — returning visitor' : 'no — first visit');
      $('found').className = 'v ' + (r.visitorFound ? 'ok' : 'warn');
      text($('confidence'), String(r.confidence && r.confidence.score));
      text($('requestId'), r.requestId);
      text($('elapsed'), Math.round(performance.now() - t0) + ' ms');
      // The identifier the server just issued to this browser (the agent keeps it in _slid) reads the history.
      var storedId = null;
      try { storedId = localStorage.getItem('_slid') } catch (e) {}
      if (!storedId) { var m = document.cookie.match(/(?:^|;s*)_slid=([^;]*)/); storedId = m && decodeURIComponent(m[1]) }
      return fetch('/demo/history', { method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ requestId: r.requestId, storedId: storedId || '' }) });
    })
    .then(function(res){ return res.json() })
    .then(function(visits){
      var tb = $('history'); tb.textContent = '';
      (Array.isArray(visits) ? visits : []).forEach(function(v){
        var tr = document.createElement('tr'), loc = v.ipLocation, d = v.visitorDetails;
        cell(tr, v.timestamp.replace('T', ' ').replace('Z', ''));
        cell(tr, v.ip);
        cell(tr, loc ? [loc.city && loc.city.name, loc.country && loc.country.name].filter(Boolean).join(', ') : 'private network');
        cell(tr, [d.browserName, d.browserFullVersion, 'on', d.browserPlatformName, d.browserPlatformVersion].filter(Boolean).join(' '));
        cell(tr, (d.browserSaysItsBot || d.browserHeadless ? 'likely bot ' : 'human ') + '(' + d.botProbability + ')');
        var c = cell(tr, ''); var code = document.createElement('code'); code.textContent = v.fingerprint; c.appendChild(code);
        tb.appendChild(tr);
      });
    })
    .catch(function(e){ text($('visitorId'), 'error: ' + (e && e.message)) });
  if (Sightline.collect) Sightline.collect().then(function(components){
    var box = $('signals'); box.textContent = '';
    var names = Object.keys(components).sort();
    text($('signalCount'), names.length + ' sources');
    names.forEach(function(name){
      var c = components[name], det = document.createElement('details'), sum = document.createElement('summary');
      var n = document.createElement('span'); n.textContent = name + (c.error ? ' (error)' : '');
      var d = document.createElement('span'); d.className = 'd'; d.textContent = (c.duration != null ? c.duration : '?') + ' ms';
      sum.appendChild(n); sum.appendChild(d); det.appendChild(sum);
      var pre = document.createElement('pre'); pre.textContent = c.error ? c.error : JSON.stringify(c.value, null, 2);
      det.appendChild(pre); box.appendChild(det);
    });
  });
})();
</script>
</body></html>`
}

/** The demo page and its history feed, for the Demo app only. */
export async function demoRoutes(app: FastifyInstance, opts: DemoOptions) {
  let html: { key: string; page: string } | null = null
  app.get('/', (_req, reply) => {
    const demo = opts.demo()
    if (!demo) return reply.send({ name: 'sightline', docs: 'see README.md', health: '/healthz' })
    if (html?.key !== demo.publicKey)
      html = { key: demo.publicKey, page: demoPage(demo.publicKey, opts.agentPath) }
    return reply.type('text/html; charset=utf-8').header('cache-control', 'no-store').send(html.page)
  })

  /**
   * The history of the browser's own visitor: the page sends the stored identifier the server issued
   * in answer to its identification, and names that identification. A visitor id, a request id, or an
   * identifier copied from another browser (which the identification did not trust) reads nothing.
   */
  app.post<{ Body: { requestId: string; storedId: string } }>(
    '/demo/history',
    {
      config: { errorShape: 'message' },
      schema: {
        body: {
          type: 'object',
          required: ['requestId', 'storedId'],
          properties: {
            requestId: { type: 'string', maxLength: 64 },
            storedId: { type: 'string', maxLength: 256 },
          },
          additionalProperties: false,
        },
        response: { ...ok(V1History, "the browser's visits, newest first"), ...errorResponses('message') },
      },
    },
    async (req) => {
      const demo = opts.demo()
      if (!demo) throw new HttpError(404, 'NotFound', 'there is no Demo app')
      const token = await opts.verifyStoredId(demo.id, req.body.storedId)
      const visit =
        token.status === 'valid' ? await findVisit(opts.db, demo.id, req.body.requestId) : undefined
      if (
        token.status !== 'valid' ||
        !visit ||
        visit.visitor_id !== token.visitorId ||
        Math.floor(Number(visit.ts) / 1000) !== token.issuedAt ||
        Date.now() - token.issuedAt > HISTORY_WINDOW_MS
      ) {
        throw new HttpError(404, 'NotFound', 'no recent identification of this browser in the Demo app')
      }
      return (await visitorHistory(opts.db, demo.id, token.visitorId, { limit: 20 })) ?? []
    },
  )
}
