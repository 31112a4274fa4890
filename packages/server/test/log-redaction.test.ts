import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { after, before, describe, it } from 'node:test'
import { loadConfig } from '../src/config.js'
import { createSightline, redactUrl, type Sightline } from '../src/server.js'
import { DIALECTS, dialectName, openTestDb, sharedGeo } from './helpers.js'
import { NO_LIMITS } from './server-api-fixtures.js'

describe('redactUrl', () => {
  it('replaces the value of every spelling of a key parameter, and leaves the rest', () => {
    assert.equal(redactUrl('/visitors/x?api_key=sk_1&limit=2'), '/visitors/x?api_key=[redacted]&limit=2')
    assert.equal(redactUrl('/visitors/x?api%5Fkey=sk_1'), '/visitors/x?api%5Fkey=[redacted]')
    assert.equal(redactUrl('/visitors/x?%61pi_key=sk_1'), '/visitors/x?%61pi_key=[redacted]')
    assert.equal(redactUrl('/visitors/x?API_KEY=sk_1'), '/visitors/x?API_KEY=[redacted]')
    assert.equal(redactUrl('/x?a=1&api_key[]=sk_1&token=t'), '/x?a=1&api_key[]=[redacted]&token=[redacted]')
    assert.equal(
      redactUrl('/x?%E0%A4%A=sk_1&b=2'),
      '/x?%E0%A4%A=[redacted]&b=2',
      'a name that does not decode',
    )
    assert.equal(redactUrl('/x?keyless&limit=5'), '/x?keyless&limit=5')
    assert.equal(redactUrl('/v1/identify'), '/v1/identify')
  })
})

for (const dialect of DIALECTS) {
  describe(`keys never reach the logs (${dialectName(dialect)})`, () => {
    let sl: Sightline
    let url: string
    let dataDir: string
    let logs = ''
    before(async () => {
      dataDir = mkdtempSync(path.join(tmpdir(), 'sightline-logs-'))
      const config = loadConfig({ SIGHTLINE_DATA_DIR: dataDir, LOG_LEVEL: 'info', ...NO_LIMITS })
      const db = dialect === 'postgres' ? await openTestDb('postgres', dataDir) : undefined
      sl = await createSightline(config, {
        geo: await sharedGeo(),
        logStream: {
          write(line: string) {
            logs += line
          },
        },
        ...(db ? { db } : {}),
      })
      url = await sl.app.listen({ port: 0, host: '127.0.0.1' })
    })
    after(async () => {
      await sl.close()
      rmSync(dataDir, { recursive: true, force: true })
    })

    it('logs the request of every spelling the router accepts without the secret key', async () => {
      const secret = sl.createdDemo!.secretKey
      for (const name of ['api_key', 'api%5Fkey', 'api%5fkey', '%61pi_key', '%61%70%69%5F%6B%65%79']) {
        const res = await fetch(`${url}/visitors/nobody?${name}=${secret}`)
        // 404, not 403: the router read the key from this spelling.
        assert.equal(res.status, 404, `${name}: ${await res.text()}`)
      }
      const v4 = await fetch(`${url}/v4/events/nothing?token=${secret}`, {
        headers: { authorization: `Bearer ${secret}` },
      })
      assert.equal(v4.status, 404)
      assert.match(logs, /"url":"\/visitors\/nobody\?api%5Fkey=\[redacted\]"/, 'the requests were logged')
      assert.equal(logs.includes(secret), false, 'the secret key is in the logs')
      assert.equal(logs.includes(secret.slice(3)), false, 'part of the secret key is in the logs')
    })
  })
}
