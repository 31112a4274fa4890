import { useMemo } from 'preact/hooks'
import type { AppInfo, Count, Overview } from '../../src/dashboard/api-types.js'
import { enc, qs, useApi } from '../api.js'
import { DayChart, type Series } from '../components/Chart.js'
import { Loading, num, Page, pct, TableWrap } from '../components/common.js'
import { MapLegend, WorldMap } from '../components/WorldMap.js'
import { Link, type Loc, navigate } from '../router.js'

const PRESETS = [7, 30, 90]
const visits = (n: number) => `${num(n)} ${n === 1 ? 'visit' : 'visits'}`
const DAY = 86_400_000
const isoDay = (t: number) => new Date(t).toISOString().slice(0, 10)

/** The range in the URL: ?days=N (the last N UTC days, today included) or ?from=&to=. */
export function rangeOf(q: URLSearchParams): { from: string; to: string; days: number | null } {
  const from = q.get('from')
  const to = q.get('to')
  if (from && to && /^\d{4}-\d\d-\d\d$/.test(from) && /^\d{4}-\d\d-\d\d$/.test(to))
    return { from, to, days: null }
  const days = Number(q.get('days')) || 30
  const today = Date.now()
  return { from: isoDay(today - (days - 1) * DAY), to: isoDay(today), days }
}

function CountTable({
  caption,
  head,
  rows,
  total,
}: {
  caption: string
  head: string
  rows: Count[]
  total: number
}) {
  if (rows.length === 0) return <p class="muted">No visits in this range.</p>
  return (
    <TableWrap label={caption}>
      <caption class="sr-only">{caption}</caption>
      <thead>
        <tr>
          <th scope="col">{head}</th>
          <th scope="col" class="n">
            Visits
          </th>
          <th scope="col" class="n">
            Share
          </th>
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => (
          <tr key={r.key}>
            <th scope="row">{r.name || r.key || 'Unknown'}</th>
            <td class="n">{num(r.visits)}</td>
            <td class="n">
              <span class="bar" style={{ width: `${total ? (60 * r.visits) / total : 0}px` }} />
              {total ? pct(r.visits / total) : '—'}
            </td>
          </tr>
        ))}
      </tbody>
    </TableWrap>
  )
}

export function OverviewPage({ app, loc }: { app: AppInfo; loc: Loc }) {
  const range = rangeOf(loc.query)
  const base = `/dashboard/apps/${enc(app.id)}`
  const o = useApi<Overview>(`/apps/${enc(app.id)}/overview${qs({ from: range.from, to: range.to })}`)
  const d = o.data
  const days = useMemo(() => d?.days.map((x) => x.day) ?? [], [d])
  const traffic = useMemo<Series[]>(
    () =>
      d
        ? [
            { label: 'Visits', values: d.days.map((x) => x.visits), color: 1 },
            { label: 'Unique visitors', values: d.days.map((x) => x.visitors), color: 2 },
            { label: 'Bad bots', values: d.days.map((x) => x.bots), color: 4 },
          ]
        : [],
    [d],
  )
  const paths = useMemo<Series[]>(
    () =>
      d
        ? [
            { label: 'Stored identifier', values: d.days.map((x) => x.storedId), color: 1 },
            { label: 'Fingerprint', values: d.days.map((x) => x.fingerprint), color: 3 },
            { label: 'New', values: d.days.map((x) => x.new), color: 2 },
          ]
        : [],
    [d],
  )
  const sum = (k: 'storedId' | 'fingerprint' | 'new') => d?.days.reduce((s, x) => s + x[k], 0) ?? 0
  const countries = useMemo(() => new Map(d?.countries.map((c) => [c.key.toUpperCase(), c.visits])), [d])
  const top = d?.countries.slice(0, 5).map((c) => `${c.name || c.key || 'Unknown'} ${c.visits}`)

  return (
    <Page title={`Overview — ${app.name}`}>
      <section aria-labelledby="range-h" class="card">
        <h2 id="range-h">Time range</h2>
        <div class="row wrap">
          {PRESETS.map((n) => (
            <Link
              key={n}
              class="chip"
              href={`${base}?days=${n}`}
              aria-current={range.days === n ? 'true' : undefined}
            >
              Last {n} days
            </Link>
          ))}
        </div>
        <form
          class="row wrap"
          key={`${range.from}/${range.to}`}
          onSubmit={(e) => {
            e.preventDefault()
            const f = new FormData(e.currentTarget)
            const from = String(f.get('from') || '')
            const to = String(f.get('to') || '')
            const [a, b] = [from, to].sort()
            if (a && b) navigate(`${base}${qs({ from: a, to: b })}`)
          }}
        >
          <label>
            From
            <input type="date" name="from" defaultValue={range.from} required />
          </label>
          <label>
            To
            <input type="date" name="to" defaultValue={range.to} required />
          </label>
          <button type="submit">Show</button>
        </form>
        <p class="muted">
          {range.from} to {range.to}, UTC days.
        </p>
      </section>
      {o.loading && !d && <Loading what="the overview" />}
      {d && (
        <>
          <section aria-labelledby="totals-h" class="card">
            <h2 id="totals-h">Totals</h2>
            <dl class="stats">
              <div>
                <dt>Visits</dt>
                <dd>{num(d.totals.visits)}</dd>
              </div>
              <div>
                <dt>Bad bot visits</dt>
                <dd>{num(d.totals.bots)}</dd>
              </div>
              <div>
                <dt>Bot share</dt>
                <dd>{pct(d.totals.botShare, 1)}</dd>
              </div>
              <div>
                <dt>Good bot visits</dt>
                <dd>{num(d.totals.goodBots)}</dd>
              </div>
            </dl>
          </section>
          <section aria-labelledby="traffic-h" class="card">
            <h2 id="traffic-h">Visits and unique visitors per day</h2>
            <DayChart title="Visits and unique visitors per day" days={days} series={traffic} />
          </section>
          <section aria-labelledby="countries-h" class="card">
            <h2 id="countries-h">Countries</h2>
            <div class="split">
              <div>
                <WorldMap
                  label={`Map of visits by country${top?.length ? `; most visits: ${top.join(', ')}` : ': no visits'}`}
                  values={countries}
                />
                <MapLegend />
              </div>
              <CountTable
                caption="Visits by country"
                head="Country"
                rows={d.countries}
                total={d.totals.visits}
              />
            </div>
          </section>
          <div class="split">
            <section aria-labelledby="browsers-h" class="card">
              <h2 id="browsers-h">Browsers</h2>
              <CountTable
                caption="Visits by browser"
                head="Browser"
                rows={d.browsers}
                total={d.totals.visits}
              />
            </section>
            <section aria-labelledby="os-h" class="card">
              <h2 id="os-h">Operating systems</h2>
              <CountTable
                caption="Visits by operating system"
                head="System"
                rows={d.os}
                total={d.totals.visits}
              />
            </section>
          </div>
          <section aria-labelledby="paths-h" class="card">
            <h2 id="paths-h">How visitors were recognised</h2>
            <p>
              <strong>{visits(sum('fingerprint'))}</strong> {sum('fingerprint') === 1 ? 'was' : 'were'}{' '}
              recognised by fingerprint after their storage was gone; {visits(sum('storedId'))} by the
              identifier stored in the browser; {visits(sum('new'))} from new visitors.
            </p>
            <DayChart title="Identification paths per day" days={days} series={paths} />
          </section>
        </>
      )}
    </Page>
  )
}
