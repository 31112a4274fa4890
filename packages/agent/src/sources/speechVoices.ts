import { sleep } from '../util.js'

/**
 * Number of speech synthesis voices, and how many are local. Chromium loads them asynchronously: when the
 * list is still empty and the browser announces changes, wait for `voiceschanged` at most 50 ms (headless
 * and voiceless systems never fire it).
 */
export async function speechVoices() {
  const synth = window.speechSynthesis
  if (!synth) return null
  let voices = synth.getVoices()
  if (!voices.length && 'onvoiceschanged' in synth) {
    await Promise.race([
      new Promise((r) => synth.addEventListener('voiceschanged', r, { once: true })),
      sleep(50),
    ])
    voices = synth.getVoices()
  }
  return { count: voices.length, local: voices.filter((v) => v.localService).length }
}
