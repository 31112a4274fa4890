import { hash } from '../hash.js'
import { getGL } from './webgl.js'

/** Limits and extensions: GPU and driver specific, but browser updates add extensions. */
export function webglParams() {
  const gl = getGL()
  if (!gl) return null
  const params: Record<string, unknown> = {}
  const names: string[] = []
  for (const k in gl) if (/^(MAX_|ALIASED_)|_BITS$/.test(k)) names.push(k)
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
