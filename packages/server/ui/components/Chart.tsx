import { useEffect, useRef, useState } from 'preact/hooks'
import uPlot from 'uplot'
import 'uplot/dist/uPlot.min.css'
import { TableWrap } from './common.js'

export interface Series {
  label: string
  values: number[]
  /** 1..4: the CSS colour --c1..--c4 */
  color: 1 | 2 | 3 | 4
}

/** Whole numbers on the y axis: 1, 2, 5, 10, 20, 50, … */
const COUNTS = Array.from({ length: 27 }, (_, i) => [1, 2, 5][i % 3]! * 10 ** Math.floor(i / 3))

const dark = matchMedia('(prefers-color-scheme: dark)')

function useScheme(): boolean {
  const [isDark, setDark] = useState(dark.matches)
  useEffect(() => {
    const l = () => setDark(dark.matches)
    dark.addEventListener('change', l)
    return () => dark.removeEventListener('change', l)
  }, [])
  return isDark
}

/**
 * A time chart per UTC day (uPlot, canvas). The canvas is hidden from screen readers; the same
 * numbers are in a table under it.
 */
export function DayChart({ title, days, series }: { title: string; days: string[]; series: Series[] }) {
  const box = useRef<HTMLDivElement>(null)
  const isDark = useScheme()
  useEffect(() => {
    const el = box.current
    if (!el || days.length === 0) return
    const css = getComputedStyle(document.documentElement)
    const v = (name: string) => css.getPropertyValue(name).trim()
    const axis = {
      stroke: v('--muted'),
      grid: { stroke: v('--line'), width: 1 },
      ticks: { stroke: v('--line') },
    }
    const x = days.map((d) => Date.parse(`${d}T00:00:00Z`) / 1000)
    const u = new uPlot(
      {
        width: Math.max(260, el.clientWidth),
        height: 220,
        tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
        scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(4, max * 1.1)] } },
        axes: [axis, { ...axis, size: 50, incrs: COUNTS }],
        cursor: { drag: { x: false, y: false } },
        series: [
          { value: '{YYYY}-{MM}-{DD}' },
          ...series.map((s) => ({
            label: s.label,
            stroke: v(`--c${s.color}`),
            width: 2,
            points: { show: days.length < 40, fill: v('--card') },
          })),
        ],
      },
      [x, ...series.map((s) => s.values)],
      el,
    )
    const ro = new ResizeObserver(() => u.setSize({ width: Math.max(260, el.clientWidth), height: 220 }))
    ro.observe(el)
    return () => {
      ro.disconnect()
      u.destroy()
    }
  }, [days, series, isDark])
  if (days.length === 0) return <p class="muted">No visits in this range.</p>
  return (
    <>
      <div class="chart" ref={box} aria-hidden="true" />
      <details class="data">
        <summary>{title} as a table</summary>
        <TableWrap label={title}>
          <thead>
            <tr>
              <th scope="col">Day (UTC)</th>
              {series.map((s) => (
                <th scope="col" key={s.label}>
                  {s.label}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {days.map((d, i) => (
              <tr key={d}>
                <th scope="row">{d}</th>
                {series.map((s) => (
                  <td key={s.label}>{s.values[i]}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </TableWrap>
      </details>
    </>
  )
}
