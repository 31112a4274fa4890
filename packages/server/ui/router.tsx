import type { ComponentChildren, JSX } from 'preact'
import { useEffect, useState } from 'preact/hooks'

/** A small router over the history API: every page is a path under /dashboard. */

const listeners = new Set<() => void>()
const notify = () => {
  for (const l of listeners) l()
}
addEventListener('popstate', notify)

export function navigate(url: string, replace = false): void {
  if (replace) history.replaceState(null, '', url)
  else history.pushState(null, '', url)
  notify()
}

export interface Loc {
  path: string
  query: URLSearchParams
  /** path + search, changes on every navigation */
  href: string
}

const read = (): Loc => ({
  path: location.pathname.replace(/\/+$/, '') || '/',
  query: new URLSearchParams(location.search),
  href: location.pathname + location.search,
})

export function useLocation(): Loc {
  const [loc, setLoc] = useState(read)
  useEffect(() => {
    const l = () => setLoc(read())
    listeners.add(l)
    return () => {
      listeners.delete(l)
    }
  }, [])
  return loc
}

type AnchorProps = JSX.HTMLAttributes<HTMLAnchorElement> & { href: string; children?: ComponentChildren }

/** An <a> that navigates without reloading (a plain link for new tabs and modified clicks). */
export function Link({ href, onClick, ...rest }: AnchorProps) {
  return (
    <a
      href={href}
      {...rest}
      onClick={(e) => {
        if (onClick) (onClick as (e: MouseEvent) => void)(e)
        if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return
        e.preventDefault()
        navigate(href)
      }}
    />
  )
}
