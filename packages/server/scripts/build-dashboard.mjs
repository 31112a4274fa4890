// Builds the dashboard's browser code (ui/) into dist/ui: assets/app-[hash].js and
// assets/app-[hash].css, and manifest.json naming them. Run from packages/server after tsc.
// The world map is made here from world-atlas (Natural Earth 1:110m) and handed to the bundle as
// the virtual module 'sightline:world' (ui/world.d.ts types it): no generated file, nothing loaded
// at run time. Fails when the JavaScript and CSS exceed 150 KB gzipped together.
import { readFileSync } from 'node:fs'
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { basename, dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'
import { geoEquirectangular, geoPath } from 'd3-geo'
import esbuild from 'esbuild'
import countries from 'i18n-iso-countries'
import { feature } from 'topojson-client'

const LIMIT = 150 * 1024
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
// dist/ui, not dist/dashboard: tsc writes the server's own dashboard/*.js there.
const out = join(root, 'dist', 'ui')
const require = createRequire(import.meta.url)

/** d3's absolute path → relative moves in tenths of a unit, dropping points that round together. */
function compact(d) {
  if (!d) return ''
  const t = (n) => Math.round(Number(n) * 10)
  const f = (n) => (n / 10).toString().replace(/^(-?)0\./, '$1.')
  const pair = (dx, dy) => `${f(dx)}${dy < 0 ? '' : ','}${f(dy)}`
  let out = ''
  let x = 0
  let y = 0
  let sx = 0
  let sy = 0
  for (const [, cmd, args] of d.matchAll(/([MLZ])([^MLZ]*)/g)) {
    if (cmd === 'Z') {
      // after z the current point is the subpath's start
      out += 'z'
      x = sx
      y = sy
      continue
    }
    const [nx, ny] = args.split(',').map(t)
    if (cmd === 'L' && nx === x && ny === y) continue
    // after m, further pairs are relative lines
    out += `${cmd === 'M' ? 'm' : ' '}${pair(nx - x, ny - y)}`
    x = nx
    y = ny
    if (cmd === 'M') {
      sx = nx
      sy = ny
    }
  }
  return out
}

/** SVG paths per ISO alpha-2 code on a 960×480 equirectangular map; '' for land with no code. */
function worldModule() {
  const W = 960
  const H = 480
  const topo = JSON.parse(readFileSync(require.resolve('world-atlas/countries-110m.json'), 'utf8'))
  const projection = geoEquirectangular().fitSize([W, H], { type: 'Sphere' })
  const path = geoPath(projection)
  const extra = { Kosovo: 'XK' }
  const byCode = new Map()
  for (const f of feature(topo, topo.objects.countries).features) {
    if (f.id === '010') continue // Antarctica: no visits, a third of the height
    const code = (f.id && countries.numericToAlpha2(f.id)) || extra[f.properties?.name] || ''
    const d = compact(path(f))
    if (!d) continue
    byCode.set(code, (byCode.get(code) ?? '') + d)
  }
  const [tx, ty] = projection.translate()
  const k = projection.scale()
  // Antarctica dropped: the map ends at 60° S.
  const height = Math.ceil(ty + (k * 60 * Math.PI) / 180)
  return `export const W = ${W}
export const H = ${height}
export const K = ${k}
export const TX = ${tx}
export const TY = ${ty}
export const shapes = ${JSON.stringify([...byCode])}
`
}

const worldPlugin = {
  name: 'sightline-world',
  setup(build) {
    build.onResolve({ filter: /^sightline:world$/ }, () => ({ path: 'world', namespace: 'sightline-world' }))
    build.onLoad({ filter: /.*/, namespace: 'sightline-world' }, () => ({
      contents: worldModule(),
      loader: 'js',
    }))
  },
}

// Clean only what this script writes.
await rm(join(out, 'assets'), { recursive: true, force: true })
await rm(join(out, 'manifest.json'), { force: true })
await mkdir(join(out, 'assets'), { recursive: true })

const result = await esbuild.build({
  absWorkingDir: root,
  entryPoints: { app: 'ui/main.tsx' },
  bundle: true,
  minify: true,
  format: 'esm',
  target: 'es2020',
  jsx: 'automatic',
  jsxImportSource: 'preact',
  outdir: join(out, 'assets'),
  entryNames: '[name]-[hash]',
  assetNames: '[name]-[hash]',
  metafile: true,
  legalComments: 'none',
  logLevel: 'warning',
  // The chart's CSS comes with it (uplot/dist/uPlot.min.css).
  loader: { '.css': 'css' },
  plugins: [worldPlugin],
})

const files = Object.keys(result.metafile.outputs).map((f) => resolve(root, f))
const js = files.find((f) => f.endsWith('.js'))
const css = files.find((f) => f.endsWith('.css'))
if (!js || !css) throw new Error(`build-dashboard: expected a .js and a .css output, got ${files.join(', ')}`)
await writeFile(join(out, 'manifest.json'), `${JSON.stringify({ js: basename(js), css: basename(css) })}\n`)

let total = 0
for (const f of [js, css]) {
  const body = await readFile(f)
  const gz = gzipSync(body, { level: 9 }).length
  total += gz
  console.log(
    `dashboard: ${basename(f)} ${(body.length / 1024).toFixed(1)} KB, ${(gz / 1024).toFixed(1)} KB gzipped`,
  )
}
console.log(`dashboard: total ${(total / 1024).toFixed(1)} KB gzipped (limit ${LIMIT / 1024} KB)`)
if (total > LIMIT) {
  console.error(`dashboard: the JavaScript and CSS exceed ${LIMIT / 1024} KB gzipped`)
  process.exit(1)
}
