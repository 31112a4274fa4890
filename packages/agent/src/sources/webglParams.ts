import { hash } from '../hash.js'
import { getGL } from './webgl.js'

/**
 * Limits and extensions: GPU and driver specific, but browser updates add extensions. Of the `*_BITS`,
 * only `SUBPIXEL_BITS` varies by GPU: the colour and depth bits describe the default framebuffer the
 * context attributes ask for (8/8/8/8/24 nearly everywhere), and each costs a round trip to the GPU process.
 */
export function webglParams() {
  const gl = getGL()
  if (!gl) return null
  const params: Record<string, unknown> = {}
  const names: string[] = []
  for (const k in gl) if (/^(MAX_|ALIASED_|SUBPIXEL_BITS$)/.test(k)) names.push(k)
  for (const k of names.sort()) {
    const v = gl.getParameter((gl as any)[k])
    params[k] = v && typeof v === 'object' ? Array.from(v as ArrayLike<number>) : v
  }
  const extensions = (gl.getSupportedExtensions() ?? []).sort()
  return {
    params: hash(JSON.stringify(params)),
    extensions: hash(extensions.join()),
    extensionCount: extensions.length,
  }
}
