import { hash } from '../hash.js'

const TEXT = 'Cwm fjordbank gly \u{1F603}\u2614\u00E6'

function draw(): [text: string, geometry: string] | null {
  const canvas = document.createElement('canvas')
  const ctx = canvas.getContext('2d')
  if (!ctx || !canvas.toDataURL) return null

  canvas.width = 240
  canvas.height = 60
  ctx.textBaseline = 'alphabetic'
  ctx.fillStyle = '#f60'
  ctx.fillRect(100, 1, 62, 20)
  ctx.fillStyle = '#069'
  ctx.font = '11pt "Times New Roman"'
  ctx.fillText(TEXT, 2, 15)
  ctx.fillStyle = 'rgba(102, 204, 0, 0.2)'
  ctx.font = '18pt Arial'
  ctx.fillText(TEXT, 4, 45)
  const text = canvas.toDataURL()

  // Resizing clears the canvas.
  canvas.width = 122
  canvas.height = 110
  ctx.globalCompositeOperation = 'multiply'
  for (const [color, x, y] of [
    ['#f2f', 40, 40],
    ['#2ff', 80, 40],
    ['#ff2', 60, 80],
  ] as const) {
    ctx.fillStyle = color
    ctx.beginPath()
    ctx.arc(x, y, 40, 0, Math.PI * 2, true)
    ctx.closePath()
    ctx.fill()
  }
  // Even-odd winding: a ring.
  ctx.fillStyle = '#f9c'
  ctx.beginPath()
  ctx.arc(60, 60, 60, 0, Math.PI * 2, true)
  ctx.arc(60, 60, 20, 0, Math.PI * 2, true)
  ctx.fill('evenodd')
  return [text, canvas.toDataURL()]
}

/**
 * Hashes of a text and a geometry rendering. Anti-fingerprinting that adds random noise makes two
 * renderings differ: then the hashes would change on every load, so they are replaced by 'unstable'.
 */
export function canvas() {
  const a = draw()
  if (!a) return null
  const b = draw()!
  const stable = a[0] === b[0] && a[1] === b[1]
  return {
    text: stable ? hash(a[0]) : 'unstable',
    geometry: stable ? hash(a[1]) : 'unstable',
    stable,
  }
}
