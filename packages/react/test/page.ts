// The test page: a provider configured from the query string, one hook shown at once, a second one
// mounted on demand, and a button that asks the server again.
import { createElement as h, useState } from 'react'
import { createRoot } from 'react-dom/client'
import { SightlineProvider, useVisitorData } from '../src/index.js'

const q = new URLSearchParams(location.search)
const cache =
  q.get('cache') === 'false' ? false : ((q.get('cache') as 'memory' | 'sessionStorage') ?? 'memory')

function Visitor({ id }: { id: string }) {
  const { isLoading, data, error, getData } = useVisitorData({ tag: { page: 'react' } })
  return h(
    'div',
    null,
    h('output', { id }, isLoading ? 'loading' : error ? `error: ${error.message}` : data?.visitorId),
    h(
      'button',
      { type: 'button', id: `${id}-refresh`, onClick: () => getData({ ignoreCache: true }).catch(() => {}) },
      'refresh',
    ),
  )
}

function App() {
  const [second, setSecond] = useState(false)
  return h(
    'main',
    null,
    h(Visitor, { id: 'first' }),
    h('button', { type: 'button', id: 'mount-second', onClick: () => setSecond(true) }, 'more'),
    second ? h(Visitor, { id: 'second' }) : null,
  )
}

createRoot(document.getElementById('root')!).render(
  h(
    SightlineProvider,
    { loadOptions: { apiKey: q.get('apiKey') ?? '', endpoint: q.get('endpoint') ?? '' }, cache },
    h(App),
  ),
)
