/** Device counts by kind; no labels or ids. */
export async function mediaDevices() {
  if (!navigator.mediaDevices?.enumerateDevices) return null
  const counts: Record<string, number> = { audioinput: 0, audiooutput: 0, videoinput: 0 }
  for (const d of await navigator.mediaDevices.enumerateDevices()) counts[d.kind] = (counts[d.kind] ?? 0) + 1
  return counts
}
