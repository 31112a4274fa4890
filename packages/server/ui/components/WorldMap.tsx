import { H, K, shapes, TX, TY, W } from 'sightline:world'

/** The build's equirectangular projection: [x, y] in the map's SVG units. */
export function project(lon: number, lat: number): [number, number] {
  return [TX + (K * lon * Math.PI) / 180, TY - (K * lat * Math.PI) / 180]
}

export interface Dot {
  lon: number
  lat: number
  label: string
}

/**
 * The world, offline (Natural Earth 1:110m from world-atlas, drawn at build time). Countries are
 * shaded by `values` (by ISO alpha-2 code) in five steps; `dots` are places. The SVG is one image
 * with a text label: the page lists the same data as text beside it.
 */
export function WorldMap({
  label,
  values,
  dots,
}: {
  label: string
  values?: Map<string, number>
  dots?: Dot[]
}) {
  const max = values ? Math.max(0, ...values.values()) : 0
  const level = (code: string): number => {
    const n = (code && values?.get(code)) || 0
    if (n <= 0 || max <= 0) return 0
    return Math.min(5, 1 + Math.floor((4 * Math.log1p(n)) / Math.log1p(max)))
  }
  return (
    <svg class="map" viewBox={`0 0 ${W} ${H}`} role="img" aria-label={label}>
      {shapes.map(([code, d], i) => (
        <path key={code || i} d={d} class={`l${level(code)}`} />
      ))}
      {dots?.map((p) => {
        const [x, y] = project(p.lon, p.lat)
        return <circle key={`${p.lon},${p.lat}`} cx={x.toFixed(1)} cy={y.toFixed(1)} r="6" class="dot" />
      })}
    </svg>
  )
}

/** The colour key of the shading. */
export function MapLegend() {
  return (
    <p class="legend muted" aria-hidden="true">
      fewer <span class="sw l1" />
      <span class="sw l2" />
      <span class="sw l3" />
      <span class="sw l4" />
      <span class="sw l5" /> more visits
    </p>
  )
}
