/** Engine- and platform-specific last bits of floating point functions. */
export function math() {
  const M = Math as unknown as Record<string, (x: number, y?: number) => number>
  const cases: [string, number, number?][] = [
    ['acos', 0.12312423423423424],
    ['acosh', 1e308],
    ['asin', 0.12312423423423424],
    ['asinh', 1],
    ['atan', 0.5],
    ['atanh', 0.5],
    ['cbrt', 100],
    ['cos', 10.000000000123],
    ['cosh', 1],
    ['exp', 1],
    ['expm1', 1],
    ['log1p', 10],
    ['sin', -1e300],
    ['sinh', 1],
    ['tan', -1e300],
    ['tanh', 1],
    ['pow', Math.PI, -100],
  ]
  const out: Record<string, number> = {}
  for (const [fn, x, y] of cases) out[fn] = M[fn]!(x, y)
  return out
}
