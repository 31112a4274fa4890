import { createHash } from 'node:crypto'
import type { Components } from '../schemas/stored.js'

/** The agent's signals by name, as posted and stored (schemas/stored.ts). */
export type { Components }

/** Deterministic JSON: object keys sorted at every depth. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value ?? null)
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`
  const obj = value as Record<string, unknown>
  return `{${Object.keys(obj)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`)
    .join(',')}}`
}

/** 32 lowercase hex characters over the values of the stable components (errors hash as their message). */
export function computeFingerprint(components: Components, stable: readonly string[]): string {
  const picked: Record<string, unknown> = {}
  for (const name of stable) {
    const c = components[name]
    picked[name] =
      c === undefined ? null : 'error' in c && c.error !== undefined ? { error: c.error } : c.value
  }
  return createHash('sha256').update(canonicalJson(picked)).digest('hex').slice(0, 32)
}
