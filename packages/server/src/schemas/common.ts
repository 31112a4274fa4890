import { type TSchema, Type } from '@sinclair/typebox'

/**
 * T or null, as `type: [T, 'null']`: Fastify's serializer writes it directly (an anyOf would make it
 * try each branch with a validator on every response).
 */
export const Nullable = <T extends TSchema & { type: string }>(schema: T) =>
  Type.Unsafe<T['static'] | null>({ ...schema, type: [schema.type, 'null'] })

export const NullableString = (description?: string) =>
  Nullable(Type.String(description ? { description } : {}))

export const NullableNumber = (description?: string) =>
  Nullable(Type.Number(description ? { description } : {}))

/** A JSON object whose keys are free (tags, raw signals): served exactly as it is. */
export const FreeObject = (description: string) =>
  Type.Unsafe<Record<string, unknown>>({ type: 'object', additionalProperties: true, description })

/** Any JSON value, served exactly as it is. */
export const AnyJson = (description: string) => Type.Unknown({ description })

/** The same schema with a description of its own (a shared shape used for a particular field). */
export const described = <T extends TSchema>(schema: T, description: string): T => ({
  ...schema,
  description,
})
