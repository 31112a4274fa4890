import { useEffect, useState } from 'preact/hooks'
import type { AppInfo, VisitorDetail, VisitSummary } from '../../src/dashboard/api-types.js'
import { announce, api, enc, useApi } from '../api.js'
import { Bot, ConfirmButton, fmtPlace, Loading, Page, pct, Time, useSession } from '../components/common.js'
import { type Dot, WorldMap } from '../components/WorldMap.js'
import { Link, navigate } from '../router.js'

export const PATHS: Record<string, string> = {
  storedId: 'Recognised by the identifier stored in the browser',
  fingerprint: 'Recognised by its fingerprint',
  fuzzy: 'Recognised by a close fingerprint match',
  new: 'A new visitor',
}

/** Why this visit is this visitor, in words: the path, its reasons, what matched and changed. */
export function Identification({ appId, v, self }: { appId: string; v: VisitSummary; self?: string }) {
  const id = v.identification
  return (
    <div class="ident">
      <p>
        <strong>{PATHS[id.path] ?? id.path}</strong>
        {id.confidence !== null ? <span class="muted"> — confidence {pct(id.confidence)}</span> : null}
      </p>
      {id.explanation.length > 0 && (
        <ul>
          {id.explanation.map((line) => (
            <li key={line}>{line}</li>
          ))}
        </ul>
      )}
      {id.matched.length > 0 && (
        <p>
          <span class="muted">Matched: </span>
          {id.matched.join(', ')}
        </p>
      )}
      {id.differed.length > 0 && (
        <div>
          <span class="muted">Changed:</span>
          <ul>
            {id.differed.map((d) => (
              <li key={d.component}>
                <code>{d.component}</code>: {d.why}
              </li>
            ))}
          </ul>
        </div>
      )}
      {id.candidates.length > 0 && (
        <div>
          <span class="muted">Probable earlier visitors:</span>
          <ul>
            {id.candidates.map((c) => (
              <li key={c.visitorId}>
                <Link class="mono" href={`/dashboard/apps/${enc(appId)}/visitors/${enc(c.visitorId)}`}>
                  {c.visitorId}
                </Link>
                {c.visitorId === self ? ' (this visitor)' : ''} — {pct(c.probability)} likely
                {c.reasons.length > 0 ? <span class="muted"> ({c.reasons.join('; ')})</span> : null}
              </li>
            ))}
          </ul>
        </div>
      )}
    </div>
  )
}

export function VisitorPage({ app, visitorId }: { app: AppInfo; visitorId: string }) {
  const { readOnly } = useSession()
  const path = `/apps/${enc(app.id)}/visitors/${enc(visitorId)}`
  const first = useApi<VisitorDetail>(path)
  const [visits, setVisits] = useState<VisitSummary[]>([])
  const [next, setNext] = useState<string | undefined>()
  const [more, setMore] = useState(false)
  useEffect(() => {
    setVisits(first.data?.visits ?? [])
    setNext(first.data?.next)
  }, [first.data])
  const d = first.data
  const places = new Map<string, Dot>()
  for (const v of visits) {
    const { latitude: lat, longitude: lon } = v.place
    if (lat === null || lon === null) continue
    places.set(`${lon},${lat}`, { lon, lat, label: fmtPlace(v.place) })
  }
  const dots = [...places.values()]

  return (
    <Page
      title={`Visitor ${visitorId}`}
      heading={
        <>
          Visitor <span class="mono">{visitorId}</span>
        </>
      }
    >
      {first.loading && !d && <Loading what="the visitor" />}
      {first.error?.status === 404 && <p>This app has no visitor with this id.</p>}
      {d && (
        <>
          <section class="card" aria-labelledby="about-h">
            <h2 id="about-h">About</h2>
            <dl class="facts">
              <dt>First seen</dt>
              <dd>
                <Time iso={d.firstSeen} />
              </dd>
              <dt>Last seen</dt>
              <dd>
                <Time iso={d.lastSeen} />
              </dd>
              <dt>Linked ids</dt>
              <dd class="mono">{d.linkedIds.length ? d.linkedIds.join(', ') : '—'}</dd>
            </dl>
            {readOnly ? null : (
              <ConfirmButton
                label="Delete visitor"
                title="Delete this visitor?"
                question={
                  <>
                    All visits of <span class="mono">{visitorId}</span> will be deleted. This cannot be
                    undone.
                  </>
                }
                confirmLabel="Delete visitor"
                danger
                onConfirm={async () => {
                  const r = await api<{ deleted: { visits: number } }>('DELETE', path)
                  navigate(`/dashboard/apps/${enc(app.id)}/visitors`)
                  announce(
                    `Visitor deleted (${r.deleted.visits} ${r.deleted.visits === 1 ? 'visit' : 'visits'}).`,
                  )
                }}
              />
            )}
          </section>
          <section class="card" aria-labelledby="places-h">
            <h2 id="places-h">Places</h2>
            <div class="split">
              <WorldMap
                label={
                  dots.length
                    ? `Map of this visitor's places: ${dots.map((p) => p.label).join('; ')}`
                    : 'Map: no known places'
                }
                dots={dots}
              />
              {dots.length ? (
                <ul>
                  {dots.map((p) => (
                    <li key={`${p.lon},${p.lat}`}>{p.label}</li>
                  ))}
                </ul>
              ) : (
                <p class="muted">No visit has a known place.</p>
              )}
            </div>
          </section>
          <section aria-labelledby="visits-h">
            <h2 id="visits-h">Visits, newest first</h2>
            {visits.length === 0 && <p>No visits.</p>}
            <ol class="timeline">
              {visits.map((v) => (
                <li key={v.requestId} class="card">
                  <h3>
                    <Link href={`/dashboard/apps/${enc(app.id)}/visits/${enc(v.requestId)}`}>
                      <Time iso={v.time} />
                    </Link>
                  </h3>
                  <dl class="facts">
                    <dt>Place</dt>
                    <dd>
                      {fmtPlace(v.place)} <span class="mono muted">{v.ip}</span>
                    </dd>
                    <dt>Browser</dt>
                    <dd>
                      {[v.browser, v.os, v.device].filter(Boolean).join(' · ') || '—'}
                      {v.incognito ? ' · incognito' : ''}
                    </dd>
                    <dt>Bot</dt>
                    <dd>
                      <Bot result={v.bot.result} probability={v.bot.probability} />
                      {v.bot.reasons.length ? <span class="muted"> {v.bot.reasons.join('; ')}</span> : null}
                    </dd>
                    <dt>Linked id</dt>
                    <dd class="mono">{v.linkedId ?? '—'}</dd>
                    <dt>Page</dt>
                    <dd class="mono break">{v.url || '—'}</dd>
                  </dl>
                  <Identification appId={app.id} v={v} self={visitorId} />
                </li>
              ))}
            </ol>
            {next && (
              <button
                type="button"
                disabled={more}
                onClick={async () => {
                  setMore(true)
                  try {
                    const r = await api<VisitorDetail>('GET', `${path}?cursor=${enc(next)}`)
                    setVisits((vs) => [...vs, ...r.visits])
                    setNext(r.next)
                  } catch {
                    // announced
                  } finally {
                    setMore(false)
                  }
                }}
              >
                Older visits
              </button>
            )}
          </section>
        </>
      )}
    </Page>
  )
}
