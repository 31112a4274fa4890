import type { AppInfo, VisitDetail } from '../../src/dashboard/api-types.js'
import { enc, useApi } from '../api.js'
import { Bot, fmtPlace, JsonBlock, json, Loading, Page, TableWrap, Time } from '../components/common.js'
import { Link } from '../router.js'
import { Identification } from './Visitor.js'

const SHORT = 80

function Value({ value }: { value: unknown }) {
  if (value === undefined) return <span class="muted">—</span>
  const one = JSON.stringify(value) ?? String(value)
  if (one.length <= SHORT) return <code class="break">{one}</code>
  return (
    <details class="value">
      <summary>
        <code>{one.slice(0, SHORT)}…</code> <span class="muted">({one.length} characters; expand)</span>
      </summary>
      <pre>{json(value)}</pre>
    </details>
  )
}

export function VisitPage({ app, requestId }: { app: AppInfo; requestId: string }) {
  const r = useApi<VisitDetail>(`/apps/${enc(app.id)}/visits/${enc(requestId)}`)
  const d = r.data
  const v = d?.visit
  const components = d ? Object.entries(d.components).sort(([a], [b]) => a.localeCompare(b)) : []
  return (
    <Page
      title={`Visit ${requestId}`}
      heading={
        <>
          Visit <span class="mono">{requestId}</span>
        </>
      }
    >
      {r.loading && !d && <Loading what="the visit" />}
      {r.error?.status === 404 && <p>This app has no visit with this request id.</p>}
      {d && v && (
        <>
          <section class="card" aria-labelledby="sum-h">
            <h2 id="sum-h">Summary</h2>
            <dl class="facts">
              <dt>Visitor</dt>
              <dd>
                <Link class="mono" href={`/dashboard/apps/${enc(app.id)}/visitors/${enc(d.visitorId)}`}>
                  {d.visitorId}
                </Link>
              </dd>
              <dt>Time</dt>
              <dd>
                <Time iso={v.time} />
              </dd>
              <dt>Page</dt>
              <dd class="mono break">{v.url || '—'}</dd>
              <dt>Linked id</dt>
              <dd class="mono">{v.linkedId ?? '—'}</dd>
              <dt>Tag</dt>
              <dd>
                {v.tag === null || v.tag === undefined ? (
                  '—'
                ) : (
                  <code class="break">{JSON.stringify(v.tag)}</code>
                )}
              </dd>
            </dl>
          </section>
          <section class="card" aria-labelledby="ident-h">
            <h2 id="ident-h">Identification</h2>
            <Identification appId={app.id} v={v} self={d.visitorId} />
          </section>
          <section class="card" aria-labelledby="enrich-h">
            <h2 id="enrich-h">Enrichment</h2>
            <dl class="facts">
              <dt>Place</dt>
              <dd>
                {fmtPlace(v.place)}
                {v.place.latitude !== null && v.place.longitude !== null ? (
                  <span class="muted">
                    {' '}
                    ({v.place.latitude}, {v.place.longitude})
                  </span>
                ) : null}
              </dd>
              <dt>IP address</dt>
              <dd class="mono">{v.ip}</dd>
              <dt>Network</dt>
              <dd>{v.network ?? '—'}</dd>
              <dt>Browser</dt>
              <dd>{v.browser ?? '—'}</dd>
              <dt>Operating system</dt>
              <dd>{v.os ?? '—'}</dd>
              <dt>Device</dt>
              <dd>{v.device ?? '—'}</dd>
              <dt>Incognito</dt>
              <dd>{v.incognito ? 'Yes' : 'No'}</dd>
              <dt>Bot</dt>
              <dd>
                <Bot result={v.bot.result} probability={v.bot.probability} />
                {v.bot.reasons.length > 0 && (
                  <ul>
                    {v.bot.reasons.map((x) => (
                      <li key={x}>{x}</li>
                    ))}
                  </ul>
                )}
              </dd>
            </dl>
          </section>
          <section class="card" aria-labelledby="signals-h">
            <h2 id="signals-h">Signals ({components.length})</h2>
            {components.length === 0 ? (
              <p class="muted">The agent sent no signals.</p>
            ) : (
              <TableWrap label="Signals">
                <thead>
                  <tr>
                    <th scope="col">Name</th>
                    <th scope="col">Value</th>
                    <th scope="col">Error</th>
                    <th scope="col" class="n">
                      Duration
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {components.map(([name, c]) => (
                    <tr key={name}>
                      <th scope="row" class="mono">
                        {name}
                      </th>
                      <td class="val">
                        <Value value={c.value} />
                      </td>
                      <td>{c.error ?? ''}</td>
                      <td class="n">{c.duration !== undefined ? `${c.duration} ms` : ''}</td>
                    </tr>
                  ))}
                </tbody>
              </TableWrap>
            )}
          </section>
          <section class="card" aria-labelledby="events-h">
            <h2 id="events-h">Event products and raw data</h2>
            <JsonBlock summary="v3 Server API products" value={d.v3} />
            <JsonBlock summary="v4 event" value={d.v4} />
            <JsonBlock summary="Raw stored row" value={d.raw} />
          </section>
        </>
      )}
    </Page>
  )
}
