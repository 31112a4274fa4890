import { sleep } from '../util.js'

/** Whether this page has already waited once: the list is then as complete as it will get. */
let waited = false

/**
 * Number of speech synthesis voices, and how many are local. Chromium loads them asynchronously: when the
 * list is still empty and the browser announces changes, the first collection on a page waits for
 * `voiceschanged` at most 50 ms (headless and voiceless systems never fire it); later ones don't wait.
 */
export async function speechVoices() {
  const synth = window.speechSynthesis
  if (!synth) return null
  let voices = synth.getVoices()
  if (!voices.length && !waited && 'onvoiceschanged' in synth) {
    await Promise.race([
      new Promise((r) => synth.addEventListener('voiceschanged', r, { once: true })),
      sleep(50),
    ])
    waited = true
    voices = synth.getVoices()
  }
  return { count: voices.length, local: voices.filter((v) => v.localService).length }
}
