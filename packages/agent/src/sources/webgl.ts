type GL = WebGLRenderingContext

let cached: GL | null | undefined

/** One shared context: browsers cap the number of live WebGL contexts. */
export const getGL = (): GL | null => {
  if (cached === undefined) {
    try {
      const c = document.createElement('canvas')
      cached = (c.getContext('webgl') || c.getContext('experimental-webgl')) as GL | null
    } catch {
      cached = null
    }
  }
  return cached
}

/**
 * Frees the shared context once it has been read: a page that keeps it pays for its teardown in the next
 * navigation, and holds a drawing buffer it never uses. The next collection creates a new one.
 */
export const releaseGL = () => {
  try {
    cached?.getExtension('WEBGL_lose_context')?.loseContext()
  } catch {}
  cached = undefined
}

/** GPU identity: (unmasked) vendor and renderer, and shader precision formats. Null without WebGL. */
export function webgl() {
  const gl = getGL()
  if (!gl) return null
  const info = gl.getExtension('WEBGL_debug_renderer_info')
  const precision: string[] = []
  for (const shader of [gl.VERTEX_SHADER, gl.FRAGMENT_SHADER])
    for (const type of [
      gl.LOW_FLOAT,
      gl.MEDIUM_FLOAT,
      gl.HIGH_FLOAT,
      gl.LOW_INT,
      gl.MEDIUM_INT,
      gl.HIGH_INT,
    ]) {
      const f = gl.getShaderPrecisionFormat(shader, type)
      precision.push(f ? `${f.rangeMin},${f.rangeMax},${f.precision}` : '')
    }
  return {
    version: gl.getParameter(gl.VERSION),
    vendor: gl.getParameter(gl.VENDOR),
    renderer: gl.getParameter(gl.RENDERER),
    unmaskedVendor: info ? gl.getParameter(info.UNMASKED_VENDOR_WEBGL) : null,
    unmaskedRenderer: info ? gl.getParameter(info.UNMASKED_RENDERER_WEBGL) : null,
    precision: precision.join(';'),
  }
}
