import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { Ajv } from 'ajv'
import * as stored from '../src/schemas/stored.js'
import { findVisit } from '../src/store/visits.js'
import { DIALECTS, dialectName, startServer, type TestServer } from './helpers.js'
import { GOOGLEBOT_UA, identify, NO_LIMITS } from './server-api-fixtures.js'

const COLUMNS = {
  ip_location: stored.IpLocation,
  visitor_details: stored.VisitorDetails,
  components: stored.Components,
  identification: stored.Identification,
  bot: stored.BotAssessment,
} as const

for (const dialect of DIALECTS) {
  describe(`stored JSON matches schemas/stored.ts (${dialectName(dialect)})`, () => {
    let s: TestServer
    before(async () => {
      s = await startServer({ trustProxy: true }, NO_LIMITS, { dialect })
    })
    after(() => s.close())

    it('every JSON column of a stored visit validates against its schema', async () => {
      const ajv = new Ajv({ strict: false, allErrors: true })
      const app = { publicKey: s.publicKey }
      const first = await identify(s, app, { ip: '81.2.69.142', tag: { a: 1 }, linkedId: 'l1' })
      const again = await identify(s, app, { ip: '81.2.69.142', storedId: first.storedId })
      const bot = await identify(s, app, { ip: '2a02:26f0::1', userAgent: GOOGLEBOT_UA })
      for (const { requestId } of [first, again, bot]) {
        const row = await findVisit(s.sl.db.kysely, s.appId, requestId)
        assert.ok(row, `visit ${requestId} is stored`)
        for (const [column, schema] of Object.entries(COLUMNS)) {
          const text = row[column as keyof typeof COLUMNS]
          if (column === 'ip_location' && text === null) continue
          const validate = ajv.compile(schema)
          assert.ok(
            validate(JSON.parse(String(text))),
            `${column} of ${requestId}: ${ajv.errorsText(validate.errors)} in ${text}`,
          )
        }
      }
    })
  })
}
