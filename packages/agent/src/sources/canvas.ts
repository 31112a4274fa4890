import { hash } from '../hash.js'

const TEXT = 'Cwm fjordbank gly \u{1F603}\u2614\u00E6'

/** A fresh 2D canvas of that size, or null without 2D canvas support. */
function canvas2d(width: number, height: number): CanvasRenderingContext2D | null {
  const canvas = document.createElement('canvas')
  canvas.width = width
  canvas.height = height
  const ctx = canvas.getContext('2d')
  return ctx && typeof canvas.toDataURL === 'function' ? ctx : null
}

function drawText(ctx: CanvasRenderingContext2D): string {
  ctx.textBaseline = 'alphabetic'
  ctx.fillStyle = '#f60'
  ctx.fillRect(100, 1, 62, 20)
  ctx.fillStyle = '#069'
  ctx.font = '11pt "Times New Roman"'
  ctx.fillText(TEXT, 2, 15)
  ctx.fillStyle = 'rgba(102, 204, 0, 0.2)'
  ctx.font = '18pt Arial'
  ctx.fillText(TEXT, 4, 45)
  return ctx.canvas.toDataURL()
}

function drawGeometry(ctx: CanvasRenderingContext2D): string {
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
  return ctx.canvas.toDataURL()
}

const PNG = 'data:image/png;base64,'

/**
 * Identifies a PNG data URL by the CRC-32 that the PNG format stores after each chunk (image data
 * included): reading a few bytes per chunk instead of hashing tens of KB keeps the page from compiling an
 * optimised hash loop on every load. Anything else (another format, a blocked canvas) is hashed whole.
 */
export function pngDigest(url: string): string {
  if (url.startsWith(PNG)) {
    try {
      const bin = atob(url.slice(PNG.length))
      const u32 = (i: number) =>
        ((bin.charCodeAt(i) << 24) |
          (bin.charCodeAt(i + 1) << 16) |
          (bin.charCodeAt(i + 2) << 8) |
          bin.charCodeAt(i + 3)) >>>
        0
      const crcs = [bin.length]
      let i = 8
      while (i + 12 <= bin.length) {
        const end = i + 8 + u32(i)
        crcs.push(u32(end))
        i = end + 4
      }
      if (i === bin.length) return hash(crcs.join())
    } catch {}
  }
  return hash(url)
}

/**
 * Digests of a text and a geometry rendering. Anti-fingerprinting that adds random noise makes two
 * renderings of the text, on two canvases, differ: then the digests would change on every load, so both are
 * replaced by 'unstable' (the geometry, read back through the same noise, is not drawn at all).
 */
export function canvas() {
  const first = canvas2d(240, 60)
  if (!first) return null
  const text = drawText(first)
  const stable = text === drawText(canvas2d(240, 60)!)
  return {
    text: stable ? pngDigest(text) : 'unstable',
    geometry: stable ? pngDigest(drawGeometry(canvas2d(122, 110)!)) : 'unstable',
    stable,
  }
}
