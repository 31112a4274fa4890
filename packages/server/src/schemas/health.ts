import { Type } from '@sinclair/typebox'
import { FreeObject } from './common.js'

export const Healthz = Type.Object({ status: Type.Literal('ok', { description: 'always ok' }) })

export const Readyz = Type.Object({
  status: Type.String({ description: 'ready or not ready' }),
  checks: FreeObject('startup, database, migrations and geo: each {ok, …}'),
})
