/**
 * Raw material for a private-mode guess: Chromium gives incognito windows a small fixed quota,
 * regular profiles a share of the disk. The server decides.
 */
export async function incognito() {
  const estimate = await navigator.storage?.estimate?.()
  const memory = (performance as Performance & { memory?: { jsHeapSizeLimit: number } }).memory
  return { quota: estimate?.quota ?? null, jsHeapSizeLimit: memory?.jsHeapSizeLimit ?? null }
}
