import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { type Config, loadConfig } from '../src/config.js'
import { type GeoResolver, openGeo } from '../src/enrich/geo.js'
import { createSightline, type Sightline } from '../src/server.js'

let geo: Promise<GeoResolver> | undefined
/** One geo resolver per test process: loading the data takes a moment. */
export const sharedGeo = () => {
  geo ??= openGeo({})
  return geo
}

export interface TestServer {
  sl: Sightline
  url: string
  dataDir: string
  publicKey: string
  secretKey: string
  appId: string
  close(): Promise<void>
}

export async function startServer(
  overrides: Partial<Config> = {},
  env: NodeJS.ProcessEnv = {},
): Promise<TestServer> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'sightline-test-'))
  const config = { ...loadConfig({ SIGHTLINE_DATA_DIR: dataDir, ...env }), ...overrides }
  const sl = await createSightline(config, { logger: false, geo: await sharedGeo() })
  const url = await sl.app.listen({ port: 0, host: '127.0.0.1' })
  const demo = sl.createdDemo
  if (!demo) throw new Error('expected a Demo app on a fresh database')
  return {
    sl,
    url,
    dataDir,
    publicKey: demo.publicKey,
    secretKey: demo.secretKey,
    appId: demo.id,
    async close() {
      await sl.close()
      rmSync(dataDir, { recursive: true, force: true })
    },
  }
}

export const CHROME_MAC_UA =
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36'

/** Components as a Chrome on macOS would send them. */
export function components(overrides: Record<string, unknown> = {}) {
  const base: Record<string, unknown> = {
    userAgent: CHROME_MAC_UA,
    webdriver: { value: false, native: true },
    timezone: { name: 'America/Chicago', offset: 360 },
    languages: ['en-US', 'en'],
    screen: { width: 1728, height: 1117, colorDepth: 30 },
    hardwareConcurrency: 10,
    platform: 'MacIntel',
    canvas: { text: 'a1b2c3', geometry: 'd4e5f6', stable: true },
    ...overrides,
  }
  return Object.fromEntries(Object.entries(base).map(([k, value]) => [k, { value, duration: 1 }]))
}

export async function post(url: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${url}/v1/identify`, {
    method: 'POST',
    headers: { 'content-type': 'text/plain;charset=UTF-8', 'user-agent': CHROME_MAC_UA, ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  })
  const text = await res.text()
  let json: any
  try {
    json = JSON.parse(text)
  } catch {
    json = text
  }
  return { status: res.status, headers: res.headers, json }
}
