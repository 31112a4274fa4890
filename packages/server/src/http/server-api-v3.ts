import type { FastifyInstance } from 'fastify'
import type { ServerApiOptions } from './server-api.js'

export async function serverApiV3Routes(_app: FastifyInstance, _opts: ServerApiOptions) {}
