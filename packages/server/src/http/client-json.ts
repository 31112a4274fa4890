import type { FastifyInstance } from 'fastify'
import { HttpError } from './errors.js'

/** Levels of nesting in a request body, the body itself being the first (docs/security.md). */
export const MAX_JSON_DEPTH = 20
/** Members of one object or elements of one array. */
export const MAX_JSON_ENTRIES = 1000
/**
 * Refused anywhere in a body, whatever its content type: stored and served back, they would reach
 * whatever the owner's backend merges our JSON into.
 */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype'])

const bad = (where: string, why: string) =>
  new HttpError(400, 'RequestCannotBeParsed', `invalid ${where}: ${why}`)

/** `body.tag.a.b` for messages: the first levels only, and no key a client could make huge. */
function describePath(path: readonly (string | number)[]): string {
  let out = 'body'
  for (const p of path.slice(0, 4)) {
    out += typeof p === 'number' ? `[${p}]` : /^[A-Za-z_$][\w$]{0,63}$/.test(p) ? `.${p}` : '[…]'
  }
  return path.length > 4 ? `${out}…` : out
}

/**
 * Checks a parsed body without recursion (so no depth can overflow the stack here or in the code that
 * later serialises it): depth, breadth and forbidden keys.
 */
export function checkClientJson(value: unknown): void {
  const stack: { v: unknown; path: (string | number)[] }[] = [{ v: value, path: [] }]
  while (stack.length > 0) {
    const { v, path } = stack.pop()!
    if (typeof v !== 'object' || v === null) continue
    if (path.length >= MAX_JSON_DEPTH) {
      throw bad(describePath(path), `nested more than ${MAX_JSON_DEPTH} levels deep`)
    }
    if (Array.isArray(v)) {
      if (v.length > MAX_JSON_ENTRIES) {
        throw bad(describePath(path), `more than ${MAX_JSON_ENTRIES} elements in one array`)
      }
      for (let i = 0; i < v.length; i++) stack.push({ v: v[i], path: [...path, i] })
      continue
    }
    const keys = Object.keys(v)
    if (keys.length > MAX_JSON_ENTRIES) {
      throw bad(describePath(path), `more than ${MAX_JSON_ENTRIES} members in one object`)
    }
    for (const k of keys) {
      if (FORBIDDEN_KEYS.has(k)) throw bad(describePath(path), `the key "${k}" is not allowed`)
      stack.push({ v: (v as Record<string, unknown>)[k], path: [...path, k] })
    }
  }
}

/** JSON.parse, then checkClientJson; every failure is a 400 with a message saying what is wrong. */
export function parseClientJson(text: string): unknown {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    throw new HttpError(400, 'RequestCannotBeParsed', 'request body is not valid JSON')
  }
  checkClientJson(value)
  return value
}

/** Replaces Fastify's application/json parser (in this context and those registered after). */
export function installJsonParser(app: FastifyInstance) {
  app.removeContentTypeParser('application/json')
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
    if ((body as string).trim() === '') {
      done(new HttpError(400, 'RequestCannotBeParsed', 'request body is empty'), undefined)
      return
    }
    try {
      done(null, parseClientJson(body as string))
    } catch (err) {
      done(err as Error, undefined)
    }
  })
}
