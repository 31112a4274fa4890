/**
 * The shape of a stack trace: the engine's frame format, and function names with URLs and positions
 * removed (automation tools leave their own frames, e.g. when collect() is called from page.evaluate).
 */
export function errorStack() {
  const lines = String(new Error('x').stack ?? '').split('\n')
  const frames = lines
    .filter((l) => /\d:\d+\)?\s*$/.test(l))
    .map((l) =>
      l
        .trim()
        .replace(/(?:[a-z][\w+.-]*:\/\/|\/)[^\s()@]*?(?::\d+)+(?=\)?$)/i, 'URL')
        .slice(0, 100),
    )
  return {
    format: /^\s+at /.test(lines[1] ?? '') ? 'at' : /@/.test(lines[0] ?? '') ? '@' : 'other',
    header: lines[0] === 'Error: x',
    frames: frames.slice(0, 10),
  }
}
