/** The tag as the Server APIs serve it: an object; a primitive is wrapped as `{tag: value}`. */
export function tagObject(text: string | null): Record<string, unknown> {
  if (text === null) return {}
  let v: unknown
  try {
    v = JSON.parse(text)
  } catch {
    return {}
  }
  if (v === null || v === undefined) return {}
  return typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : { tag: v }
}

export const msOf = (us: number) => Math.floor(Number(us) / 1000)
export const isoOf = (us: number) => new Date(msOf(us)).toISOString()
