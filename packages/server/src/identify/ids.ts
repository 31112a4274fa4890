import { randomAlnum } from '../util/random.js'

export const VISITOR_ID_RE = /^[A-Za-z0-9]{20}$/
export const REQUEST_ID_RE = /^\d{13}\.[A-Za-z0-9]{6}$/

/** Random, never derived from the fingerprint, so an id reveals nothing about the device. */
export const newVisitorId = (): string => randomAlnum(20)

export const newRequestId = (nowMs: number): string => `${nowMs}.${randomAlnum(6)}`
