// The parts of autocannon's API the benchmarks use (it ships no types).
declare module 'autocannon' {
  interface Stats {
    average: number
    p50: number
    p99: number
  }
  interface Result {
    requests: Stats
    latency: Stats
    errors: number
    non2xx: number
  }
  interface Options {
    url: string
    connections?: number
    duration?: number
    requests?: Record<string, unknown>[]
  }
  export default function autocannon(options: Options): Promise<Result>
}
