import assert from 'node:assert/strict'
import { connect, type Socket } from 'node:net'
import { after, before, describe, it } from 'node:test'
import { ConfigError, loadConfig } from '../src/config.js'
import { startServer, type TestServer } from './helpers.js'

/** Resolves with what the server sent once it closes the socket, or null if it is still open at `ms`. */
function closedWithin(socket: Socket, ms: number): Promise<string | null> {
  return new Promise((resolve) => {
    let got = ''
    socket.on('data', (c) => {
      got += c
    })
    const timer = setTimeout(() => resolve(null), ms)
    socket.on('close', () => {
      clearTimeout(timer)
      resolve(got)
    })
    socket.on('error', () => {})
  })
}

const open = (url: string) =>
  new Promise<Socket>((resolve, reject) => {
    const u = new URL(url)
    const s = connect(Number(u.port), u.hostname, () => resolve(s))
    s.once('error', reject)
  })

describe('timeouts: settings', () => {
  it('defaults, environment, flags and their checks', () => {
    assert.deepEqual(loadConfig({}).timeouts, { requestMs: 30_000, headersMs: 10_000, keepAliveMs: 5_000 })
    const env = { SIGHTLINE_REQUEST_TIMEOUT: '2000', SIGHTLINE_HEADERS_TIMEOUT: '1000' }
    assert.deepEqual(loadConfig(env, { 'keep-alive-timeout': '700', 'request-timeout': '1500' }).timeouts, {
      requestMs: 1500,
      headersMs: 1000,
      keepAliveMs: 700,
    })
    assert.throws(() => loadConfig({ SIGHTLINE_REQUEST_TIMEOUT: '0' }), ConfigError)
    assert.throws(() => loadConfig({ SIGHTLINE_KEEP_ALIVE_TIMEOUT: 'soon' }), /SIGHTLINE_KEEP_ALIVE_TIMEOUT/)
    assert.throws(
      () => loadConfig({ SIGHTLINE_REQUEST_TIMEOUT: '500' }),
      /HEADERS_TIMEOUT must not be longer/,
    )
  })
})

describe('timeouts: slow clients are cut off', () => {
  let s: TestServer
  // Short limits, so the test is quick; the mechanism is the one the defaults use.
  before(async () => {
    s = await startServer({ timeouts: { requestMs: 800, headersMs: 400, keepAliveMs: 300 } })
  })
  after(() => s.close())

  it('closes a connection whose body trickles in, one byte at a time', async () => {
    const socket = await open(s.url)
    const body = JSON.stringify({ apiKey: s.publicKey, url: 'https://shop.example/', components: {} })
    socket.write(
      `POST /v1/identify HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: ${body.length}\r\n\r\n`,
    )
    let i = 0
    const drip = setInterval(() => {
      if (i < body.length && !socket.destroyed) socket.write(body[i++]!)
    }, 100)
    try {
      const got = await closedWithin(socket, 5000)
      assert.notEqual(got, null, 'the connection was still open after 5 s')
      assert.match(got!, /^HTTP\/1\.1 408 /, 'answered 408 Request Timeout')
      assert.ok(i < body.length, 'closed before the body was complete')
    } finally {
      clearInterval(drip)
      socket.destroy()
    }
  })

  it('closes a connection whose headers never end', async () => {
    const socket = await open(s.url)
    socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n')
    const drip = setInterval(() => {
      if (!socket.destroyed) socket.write('X-Slow: 1\r\n')
    }, 100)
    try {
      const got = await closedWithin(socket, 5000)
      assert.notEqual(got, null, 'the connection was still open after 5 s')
    } finally {
      clearInterval(drip)
      socket.destroy()
    }
  })

  it('closes an idle keep-alive connection, after answering', async () => {
    const socket = await open(s.url)
    socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n')
    const got = await closedWithin(socket, 5000)
    assert.notEqual(got, null, 'the idle connection was still open after 5 s')
    assert.match(got!, /^HTTP\/1\.1 200 /)
  })
})
