/** Plugin names and MIME types, sorted; null where the browser has no such lists. */
export function plugins() {
  const { plugins, mimeTypes } = navigator
  if (!plugins) return null
  const names = (list: ArrayLike<{ name?: string; type?: string }> | undefined, key: 'name' | 'type') =>
    Array.from(list ?? [], (p) => String(p[key])).sort()
  return { names: names(plugins, 'name'), mimeTypes: names(mimeTypes, 'type') }
}
