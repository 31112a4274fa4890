import type { ComponentChildren } from 'preact'
import { createContext } from 'preact'
import { useContext, useEffect, useRef, useState } from 'preact/hooks'
import type { AppInfo, Me, Place } from '../../src/dashboard/api-types.js'

export interface Session {
  me: Me
  apps: AppInfo[]
  reloadApps: () => void
  readOnly: boolean
}
export const SessionContext = createContext<Session | null>(null)
export const useSession = (): Session => useContext(SessionContext)!

let firstPage = true

/** A page: its <title>, its one <h1> (focused after a navigation, for screen readers). */
export function Page({
  title,
  heading,
  children,
}: {
  title: string
  heading?: ComponentChildren
  children?: ComponentChildren
}) {
  const h1 = useRef<HTMLHeadingElement>(null)
  useEffect(() => {
    document.title = `${title} · Sightline`
    // After a navigation (not the first page), focus goes to the new page's heading.
    if (firstPage) firstPage = false
    else if (document.activeElement === document.body || document.activeElement?.closest('nav,header,main'))
      h1.current?.focus({ preventScroll: true })
  }, [title])
  return (
    <>
      <h1 tabIndex={-1} ref={h1}>
        {heading ?? title}
      </h1>
      {children}
    </>
  )
}

/** A table that scrolls sideways on narrow screens (focusable, so keyboards can scroll it). */
export function TableWrap({ label, children }: { label: string; children: ComponentChildren }) {
  return (
    // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must be reachable by keyboard
    <section class="table-wrap" aria-label={label} tabIndex={0}>
      <table>{children}</table>
    </section>
  )
}

export function Loading({ what }: { what?: string }) {
  return <p class="muted">Loading{what ? ` ${what}` : ''}…</p>
}

export const fmtTime = (iso: string | null | undefined): string => {
  if (!iso) return '—'
  const d = new Date(iso)
  return Number.isNaN(d.getTime())
    ? iso
    : d.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' })
}

export function Time({ iso }: { iso: string | null | undefined }) {
  return iso ? (
    <time dateTime={iso} title={iso}>
      {fmtTime(iso)}
    </time>
  ) : (
    <>—</>
  )
}

export const fmtPlace = (p: Place | null | undefined): string =>
  p ? [p.city, p.country ?? p.countryCode].filter(Boolean).join(', ') || '—' : '—'

export const pct = (x: number, digits = 0): string => `${(x * 100).toFixed(digits)}%`

export const num = (n: number): string => n.toLocaleString()

export function Bot({ result, probability }: { result: string; probability?: number }) {
  const label = result === 'bad' ? 'Bad bot' : result === 'good' ? 'Good bot' : 'Not a bot'
  return (
    <span class={`badge bot-${result}`}>
      {label}
      {probability !== undefined ? ` (${pct(probability)})` : ''}
    </span>
  )
}

/** A secret the server shows once: labelled, selectable, with a copy button. */
export function SecretBox({ label, value, onDone }: { label: string; value: string; onDone: () => void }) {
  const [copied, setCopied] = useState(false)
  const id = `secret-${label.replace(/\W+/g, '-').toLowerCase()}`
  const input = useRef<HTMLInputElement>(null)
  useEffect(() => {
    input.current?.focus()
  }, [])
  return (
    <section class="secret" aria-labelledby={`${id}-l`}>
      <p id={`${id}-l`}>
        <strong>{label}</strong> — shown only once. Copy it now and keep it safe.
      </p>
      <div class="row">
        <input
          ref={input}
          id={id}
          aria-labelledby={`${id}-l`}
          readOnly
          value={value}
          onFocus={(e) => e.currentTarget.select()}
        />
        <button
          type="button"
          onClick={async () => {
            try {
              await navigator.clipboard.writeText(value)
              setCopied(true)
            } catch {
              ;(document.getElementById(id) as HTMLInputElement | null)?.select()
            }
          }}
        >
          {copied ? 'Copied' : 'Copy'}
        </button>
        <button type="button" class="secondary" onClick={onDone}>
          Done
        </button>
      </div>
    </section>
  )
}

/** A modal <dialog>: open while `open`; Escape or Cancel calls onClose. */
export function Dialog({
  open,
  title,
  onClose,
  children,
}: {
  open: boolean
  title: string
  onClose: () => void
  children: ComponentChildren
}) {
  const ref = useRef<HTMLDialogElement>(null)
  useEffect(() => {
    const d = ref.current
    if (!d) return
    if (open && !d.open) d.showModal()
    if (!open && d.open) d.close()
  }, [open])
  const titleId = `dlg-${title.replace(/\W+/g, '-').toLowerCase()}`
  return (
    <dialog ref={ref} aria-labelledby={titleId} onClose={onClose}>
      {open && (
        <>
          <h2 id={titleId}>{title}</h2>
          {children}
        </>
      )}
    </dialog>
  )
}

/** A button that asks first, in a dialog. */
export function ConfirmButton({
  label,
  title,
  question,
  confirmLabel,
  danger,
  disabled,
  onConfirm,
}: {
  label: string
  title: string
  question: ComponentChildren
  confirmLabel: string
  danger?: boolean
  disabled?: boolean
  onConfirm: () => Promise<unknown> | undefined
}) {
  const [open, setOpen] = useState(false)
  const [busy, setBusy] = useState(false)
  return (
    <>
      <button type="button" class={danger ? 'danger' : ''} disabled={disabled} onClick={() => setOpen(true)}>
        {label}
      </button>
      <Dialog open={open} title={title} onClose={() => setOpen(false)}>
        <p>{question}</p>
        <div class="row">
          <button
            type="button"
            class={danger ? 'danger' : ''}
            disabled={busy}
            onClick={async () => {
              setBusy(true)
              try {
                await onConfirm()
              } catch {
                // the live region says why
              } finally {
                setBusy(false)
                setOpen(false)
              }
            }}
          >
            {confirmLabel}
          </button>
          <button type="button" class="secondary" onClick={() => setOpen(false)}>
            Cancel
          </button>
        </div>
      </Dialog>
    </>
  )
}

export const json = (v: unknown): string => {
  try {
    return JSON.stringify(v, null, 2) ?? String(v)
  } catch {
    return String(v)
  }
}

/** Pretty JSON in a collapsible <details>. */
export function JsonBlock({ summary, value, open }: { summary: string; value: unknown; open?: boolean }) {
  return (
    <details class="json" open={open}>
      <summary>{summary}</summary>
      <pre>{json(value)}</pre>
    </details>
  )
}
