import { sleep } from '../util.js'

/** Number of speech synthesis voices, and how many are local. Chromium loads them asynchronously. */
export async function speechVoices() {
  const synth = window.speechSynthesis
  if (!synth) return null
  let voices = synth.getVoices()
  if (!voices.length) {
    await Promise.race([
      new Promise((r) => synth.addEventListener('voiceschanged', r, { once: true })),
      sleep(200),
    ])
    voices = synth.getVoices()
  }
  return { count: voices.length, local: voices.filter((v) => v.localService).length }
}
