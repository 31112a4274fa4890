const LENGTH = 5000

async function render(): Promise<number> {
  const Ctx = window.OfflineAudioContext || (window as any).webkitOfflineAudioContext
  const ctx: OfflineAudioContext = new Ctx(1, LENGTH, 44100)
  const osc = ctx.createOscillator()
  osc.type = 'triangle'
  osc.frequency.value = 10000
  const comp = ctx.createDynamicsCompressor()
  comp.threshold.value = -50
  comp.knee.value = 40
  comp.ratio.value = 12
  comp.attack.value = 0
  comp.release.value = 0.25
  osc.connect(comp)
  comp.connect(ctx.destination)
  osc.start(0)
  const samples = (await ctx.startRendering()).getChannelData(0)
  let sum = 0
  for (let i = 4500; i < LENGTH; i++) sum += Math.abs(samples[i]!)
  return sum
}

/**
 * Sum of samples of a compressed triangle wave rendered offline: varies with the audio stack and CPU.
 * Rendered twice: noise-injecting browsers (e.g. Safari 17 private) make them differ → 'unstable'.
 */
export async function audio() {
  if (!window.OfflineAudioContext && !(window as any).webkitOfflineAudioContext) return null
  const [a, b] = await Promise.all([render(), render()])
  return a === b ? a : 'unstable'
}
