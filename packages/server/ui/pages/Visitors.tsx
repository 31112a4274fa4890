import { useEffect, useState } from 'preact/hooks'
import type { AppInfo, VisitorList } from '../../src/dashboard/api-types.js'
import { enc, qs, useApi } from '../api.js'
import { Bot, fmtPlace, Loading, Page, TableWrap, Time } from '../components/common.js'
import { Link, type Loc, navigate } from '../router.js'

const KEYS = ['q', 'field', 'from', 'to', 'bot'] as const
const AS: Record<string, string> = {
  visitorId: 'a visitor id',
  linkedId: 'a linked id',
  ip: 'an IP address or range',
}

export function VisitorsPage({ app, loc }: { app: AppInfo; loc: Loc }) {
  const base = `/dashboard/apps/${enc(app.id)}/visitors`
  const params: Record<string, string> = {}
  for (const k of [...KEYS, 'cursor']) {
    const v = loc.query.get(k)
    if (v) params[k] = v
  }
  const search = qs(params)
  const list = useApi<VisitorList>(`/apps/${enc(app.id)}/visitors${search}`)
  const d = list.data
  const filterKey = KEYS.map((k) => params[k] ?? '').join('|')
  // Preact sets no defaultValue on a <select>: these two are controlled, reset by each navigation.
  const [field, setField] = useState(params.field ?? 'auto')
  const [bot, setBot] = useState(params.bot ?? 'all')
  useEffect(() => {
    setField(loc.query.get('field') ?? 'auto')
    setBot(loc.query.get('bot') ?? 'all')
  }, [loc.query])

  return (
    <Page title={`Visitors — ${app.name}`}>
      <search aria-label="Search visitors">
        <form
          class="card filters"
          key={filterKey}
          onSubmit={(e) => {
            e.preventDefault()
            const f = new FormData(e.currentTarget)
            const next: Record<string, string> = {}
            for (const k of KEYS) {
              const v = String(f.get(k) ?? '').trim()
              if (v && !(k === 'field' && v === 'auto') && !(k === 'bot' && v === 'all')) next[k] = v
            }
            navigate(`${base}${qs(next)}`)
          }}
        >
          <label class="grow">
            Search
            <input
              type="search"
              name="q"
              defaultValue={params.q ?? ''}
              placeholder="visitor id, linked id, IP or CIDR"
              autoComplete="off"
              spellcheck={false}
            />
          </label>
          <div class="field">
            <label htmlFor="f-field">Search by</label>
            <select id="f-field" name="field" value={field} onChange={(e) => setField(e.currentTarget.value)}>
              <option value="auto">Auto</option>
              <option value="visitorId">Visitor id</option>
              <option value="linkedId">Linked id</option>
              <option value="ip">IP or CIDR</option>
            </select>
          </div>
          <label>
            From
            <input type="date" name="from" defaultValue={params.from ?? ''} />
          </label>
          <label>
            To
            <input type="date" name="to" defaultValue={params.to ?? ''} />
          </label>
          <div class="field">
            <label htmlFor="f-bot">Bot verdict</label>
            <select id="f-bot" name="bot" value={bot} onChange={(e) => setBot(e.currentTarget.value)}>
              <option value="all">All visits</option>
              <option value="none">Not bots</option>
              <option value="good">Good bots</option>
              <option value="bad">Bad bots</option>
            </select>
          </div>
          <div class="row">
            <button type="submit">Search</button>
            {filterKey !== '||||' && (
              <Link class="button secondary" href={base}>
                Clear
              </Link>
            )}
          </div>
        </form>
      </search>
      {list.loading && !d && <Loading what="visitors" />}
      {d && (
        <section aria-labelledby="results-h">
          <h2 id="results-h">
            {params.q ? 'Results' : 'Newest visitors'}
            {d.searchedAs && params.q ? <span class="muted"> — searched as {AS[d.searchedAs]}</span> : null}
          </h2>
          {d.visitors.length === 0 ? (
            <p>{params.cursor ? 'No more visitors.' : 'No visitors match.'}</p>
          ) : (
            <TableWrap label="Visitors">
              <thead>
                <tr>
                  <th scope="col">Visitor</th>
                  <th scope="col">Last seen</th>
                  <th scope="col">Place</th>
                  <th scope="col">IP</th>
                  <th scope="col">Browser / OS</th>
                  <th scope="col">Bot</th>
                  <th scope="col">Linked id</th>
                </tr>
              </thead>
              <tbody>
                {d.visitors.map((v) => (
                  <tr key={v.visitorId}>
                    <th scope="row">
                      <Link class="mono" href={`${base}/${enc(v.visitorId)}`}>
                        {v.visitorId}
                      </Link>
                    </th>
                    <td>
                      <Link
                        href={`/dashboard/apps/${enc(app.id)}/visits/${enc(v.requestId)}`}
                        title="Open this visit"
                      >
                        <Time iso={v.lastSeen} />
                      </Link>
                    </td>
                    <td>{fmtPlace(v.place)}</td>
                    <td class="mono">{v.ip}</td>
                    <td>{[v.browser, v.os].filter(Boolean).join(' / ') || '—'}</td>
                    <td>
                      <Bot result={v.bot} />
                    </td>
                    <td class="mono">{v.linkedId ?? '—'}</td>
                  </tr>
                ))}
              </tbody>
            </TableWrap>
          )}
          {(params.cursor || d.next) && (
            <nav aria-label="Pages" class="row pager">
              {params.cursor && (
                <Link class="button secondary" href={`${base}${qs({ ...params, cursor: undefined })}`}>
                  First page
                </Link>
              )}
              {d.next && (
                <Link class="button" href={`${base}${qs({ ...params, cursor: d.next })}`}>
                  Next page
                </Link>
              )}
            </nav>
          )}
        </section>
      )}
    </Page>
  )
}
