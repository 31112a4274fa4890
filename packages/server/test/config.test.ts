import assert from 'node:assert/strict'
import path from 'node:path'
import { describe, it } from 'node:test'
import { ConfigError, loadConfig, parseTrustProxy } from '../src/config.js'

describe('config', () => {
  it('has sane defaults', () => {
    const c = loadConfig({})
    assert.equal(c.port, 3000)
    assert.equal(c.host, '0.0.0.0')
    assert.equal(c.dataDir, path.resolve('./data'))
    assert.equal(c.databaseUrl, undefined)
    assert.equal(c.trustProxy, false)
    assert.equal(c.logLevel, 'info')
    assert.equal(c.demo, true)
  })
  it('flags win over the environment', () => {
    const c = loadConfig({ PORT: '4000', LOG_LEVEL: 'warn' }, { port: '5000' })
    assert.equal(c.port, 5000)
    assert.equal(c.logLevel, 'warn')
  })
  it('reads TRUST_PROXY like Fastify', () => {
    assert.equal(parseTrustProxy(undefined), false)
    assert.equal(parseTrustProxy('false'), false)
    assert.equal(parseTrustProxy('true'), true)
    assert.equal(parseTrustProxy('2'), 2)
    assert.deepEqual(parseTrustProxy('10.0.0.1, 127.0.0.1/8'), ['10.0.0.1', '127.0.0.1/8'])
  })
  it('rejects bad values with a clear message', () => {
    assert.throws(() => loadConfig({ PORT: 'http' }), ConfigError)
    assert.throws(() => loadConfig({ PORT: '70000' }), /PORT/)
    assert.throws(() => loadConfig({ LOG_LEVEL: 'loud' }), /LOG_LEVEL/)
  })
})
