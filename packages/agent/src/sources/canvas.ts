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
 * renderings differ: then the hashes would change on every load, so they are replaced by 'unstable'.
 */
export function canvas() {
  const a = draw()
  if (!a) return null
  const b = draw()!
  const stable = a[0] === b[0] && a[1] === b[1]
  return {
    text: stable ? pngDigest(a[0]) : 'unstable',
    geometry: stable ? pngDigest(a[1]) : 'unstable',
    stable,
  }
}
