const LENGTH = 5000

/** Sum of |samples| 4500–4999 of channel `c`. */
const sum = (buffer: AudioBuffer, c: number) => {
  const samples = buffer.getChannelData(c)
  let s = 0
  for (let i = 4500; i < LENGTH; i++) s += Math.abs(samples[i]!)
  return s
}

/**
 * A 10 kHz triangle oscillator. Built with its type from the start where the constructor exists:
 * createOscillator() first computes the band-limited tables of a sine wave, a millisecond or two spent for
 * nothing before the triangle's own.
 */
function oscillator(ctx: OfflineAudioContext): OscillatorNode {
  let osc: OscillatorNode
  try {
    osc = new OscillatorNode(ctx, { type: 'triangle' })
  } catch {
    // Prefixed contexts (old Safari) have no node constructors.
    osc = ctx.createOscillator()
    osc.type = 'triangle'
  }
  // Set afterwards, not as a constructor option: Chromium renders that ~5e-6 apart, which would move the value.
  osc.frequency.value = 10000
  return osc
}

/**
 * Sum of samples of a compressed triangle wave rendered offline: varies with the audio stack and CPU.
 * The mono signal is rendered into two channels, which must come out identical: noise-injecting browsers
 * (e.g. Safari 17 private) make them differ → 'unstable'. One rendering, not two: each costs a render
 * thread and tens of ms on a busy page.
 */
export async function audio() {
  const Ctx = window.OfflineAudioContext || (window as any).webkitOfflineAudioContext
  if (!Ctx) return null
  const ctx: OfflineAudioContext = new Ctx(2, LENGTH, 44100)
  const osc = oscillator(ctx)
  const comp = ctx.createDynamicsCompressor()
  comp.threshold.value = -50
  comp.knee.value = 40
  comp.ratio.value = 12
  comp.attack.value = 0
  comp.release.value = 0.25
  osc.connect(comp)
  comp.connect(ctx.destination)
  osc.start(0)
  const buffer = await ctx.startRendering()
  const a = sum(buffer, 0)
  return a === sum(buffer, 1) ? a : 'unstable'
}
