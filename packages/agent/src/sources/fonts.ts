/** Curated for spread: Windows, Office, macOS, Linux desktops and common extras (a few are markers of CJK/Indic locales). */
export const FONTS = [
  'Agency FB',
  'Aptos',
  'Arial Narrow',
  'Arial Unicode MS',
  'Avenir',
  'Bahnschrift',
  'Calibri',
  'Cambria',
  'Candara',
  'Cantarell',
  'Century Gothic',
  'Comic Sans MS',
  'Consolas',
  'Constantia',
  'Corbel',
  'DejaVu Sans',
  'Droid Sans',
  'Ebrima',
  'Franklin Gothic',
  'Futura',
  'Gadugi',
  'Geneva',
  'Gill Sans',
  'Haettenschweiler',
  'Helvetica Neue',
  'Hiragino Sans',
  'Leelawadee UI',
  'Liberation Sans',
  'Lucida Bright',
  'Lucida Console',
  'Malgun Gothic',
  'Menlo',
  'Microsoft YaHei',
  'Minion Pro',
  'Monaco',
  'Monotype Corsiva',
  'MS Gothic',
  'Myriad Pro',
  'Nirmala UI',
  'Noto Color Emoji',
  'Noto Sans CJK SC',
  'Optima',
  'Palatino',
  'Roboto',
  'Segoe UI',
  'SF Pro',
  'SimSun',
  'Source Code Pro',
  'Ubuntu',
  'Yu Gothic',
]
/**
 * A present font renders the probe text in itself, so it measures unlike a generic fallback whose metrics
 * are not its own: monospaced fonts are compared with `sans-serif`, the others with `monospace`. One
 * fallback per font halves the spans to lay out; a second would only find a font identical to the default
 * font of the generic family it is compared with.
 */
const MONOSPACED = new Set([
  'Consolas',
  'Lucida Console',
  'Menlo',
  'Monaco',
  'MS Gothic',
  'SimSun',
  'Source Code Pro',
])
export const fallbackFor = (font: string) => (MONOSPACED.has(font) ? 'sans-serif' : 'monospace')
const BASES = ['monospace', 'sans-serif']

export type Measure = (family: string) => readonly [width: number, height: number]

/** A font is present when text in it, with its generic fallback, measures differently from the fallback alone. */
export function detectFonts(
  fonts: readonly string[],
  measure: Measure,
  fallback: (font: string) => string = fallbackFor,
): string[] {
  return fonts.filter((font) => {
    const base = fallback(font)
    const [w, h] = measure(`'${font}',${base}`)
    const [bw, bh] = measure(base)
    return w !== bw || h !== bh
  })
}

/**
 * Available fonts among FONTS, measured in one layout pass off-screen. The spans live in a shadow root:
 * the page's style sheets can't reach them, so they need no `all: initial` of their own (which made style
 * recalculation of the hundred spans cost more than their layout).
 */
export function fonts() {
  const host = document.createElement('div')
  host.style.cssText = 'all:initial;position:absolute;left:-9999px;top:0;visibility:hidden'
  const root: Node = host.attachShadow ? host.attachShadow({ mode: 'closed' }) : host
  const spans = new Map<string, HTMLElement>()
  const families = [...BASES]
  for (const f of FONTS) families.push(`'${f}',${fallbackFor(f)}`)
  for (const family of families) {
    const span = document.createElement('span')
    span.style.cssText = `${root === host ? 'all:initial;' : ''}position:absolute;white-space:pre;font-size:48px;font-family:${family}`
    span.textContent = 'mmMwWLliI0O&1fi'
    spans.set(family, span)
    root.appendChild(span)
  }
  document.documentElement.appendChild(host)
  try {
    return detectFonts(FONTS, (family) => {
      const s = spans.get(family)!
      return [s.offsetWidth, s.offsetHeight]
    })
  } finally {
    host.remove()
  }
}
