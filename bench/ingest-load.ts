// The closed-loop identification load shared by bench:ingest and bench:events.
import autocannon from 'autocannon'

export const DURATION = Number(process.env.BENCH_DURATION ?? 10)
export const CONNECTIONS = 32

/** Share of requests from returning browsers that still hold their stored identifier. */
export const RETURNING_WITH_STORAGE = 0.9

/** A realistic agent payload (~3 KB) for one of BROWSERS synthetic browsers. */
export function payload(apiKey: string, i: number, storedId: string | null = null): string {
  const c = (value: unknown) => ({ value, duration: 1 })
  return JSON.stringify({
    v: 1,
    apiKey,
    storedId,
    url: `https://shop.example/products/${i % 97}?ref=bench`,
    tag: { orderId: i },
    components: {
      userAgent: c(
        'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
      ),
      uaHints: c({
        brands: [{ brand: 'Google Chrome', version: '131' }],
        fullVersionList: [{ brand: 'Google Chrome', version: '131.0.6778.86' }],
        mobile: false,
        platform: 'Windows',
        platformVersion: '15.0.0',
      }),
      webdriver: c({ value: false, native: true }),
      timezone: c({ name: 'Europe/Berlin', offset: -60 }),
      languages: c(['de-DE', 'de', 'en']),
      screen: c({ width: 1920, height: 1080, colorDepth: 24 }),
      hardwareConcurrency: c(8 + (i % 5)),
      deviceMemory: c(8),
      platform: c('Win32'),
      canvas: c({ text: `t${i}`, geometry: `g${i % 13}`, stable: true }),
      webgl: c({ vendor: 'Google Inc. (NVIDIA)', renderer: `ANGLE (NVIDIA GeForce RTX ${3000 + (i % 90)})` }),
      fonts: c(['Arial', 'Calibri', 'Cambria', 'Consolas', 'Segoe UI', 'Tahoma', 'Verdana']),
      audio: c(124.04347527516074),
      math: c({ acos: 1.4473588658278522, tan: -1.4214488238747245 }),
      plugins: c(['PDF Viewer', 'Chrome PDF Viewer', 'Chromium PDF Viewer']),
      viewport: c({ innerWidth: 1280 + (i % 400), innerHeight: 720, devicePixelRatio: 1 }),
      filler: c('x'.repeat(1500)),
    },
  })
}

export interface Result {
  rps: number
  p50: number
  p99: number
  errors: number
  non2xx: number
}

export async function load(url: string, bodies: string[] | null): Promise<Result> {
  let n = 0
  const r = await autocannon({
    url,
    connections: CONNECTIONS,
    duration: DURATION,
    requests: [
      {
        method: 'POST',
        path: '/v1/identify',
        headers: { 'content-type': 'text/plain;charset=UTF-8', 'x-forwarded-for': '8.8.8.8' },
        setupRequest: (req: any) => {
          req.body = bodies ? bodies[n++ % bodies.length] : '{}'
          return req
        },
      },
    ],
  })
  return {
    rps: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    errors: r.errors,
    non2xx: r.non2xx,
  }
}

/** Every synthetic browser's first visit, keeping the identifier each answer issues (as the agent does). */
export async function prime(url: string, bodies: string[]): Promise<(string | null)[]> {
  const ids: (string | null)[] = new Array(bodies.length).fill(null)
  let next = 0
  const worker = async () => {
    for (let i = next++; i < bodies.length; i = next++) {
      const res = await fetch(`${url}/v1/identify`, {
        method: 'POST',
        headers: { 'content-type': 'text/plain;charset=UTF-8', 'x-forwarded-for': '8.8.8.8' },
        body: bodies[i],
      })
      ids[i] = ((await res.json()) as { storedId?: string }).storedId ?? null
    }
  }
  await Promise.all(Array.from({ length: 16 }, worker))
  return ids
}
