import type { Kysely, Updateable } from 'kysely'
import type { Database, VisitsTable } from './schema.js'

/** What the owner may change on an event after the fact (v3 PUT, v4 PATCH). */
export interface EventUpdate {
  linkedId?: string | undefined
  /** Replaces the stored tag. */
  tag?: Record<string, unknown> | undefined
  suspect?: boolean | undefined
}

export const isNoOp = (u: EventUpdate) =>
  u.linkedId === undefined && u.tag === undefined && u.suspect === undefined

/** Applies `u` (not a no-op) to one visit of the app; false when there is no such visit. */
export async function updateEvent(
  db: Kysely<Database>,
  appId: string,
  requestId: string,
  u: EventUpdate,
): Promise<boolean> {
  const ms = /^(\d{13})\./.exec(requestId)?.[1]
  if (!ms || isNoOp(u)) return false
  const set: Updateable<VisitsTable> = {}
  if (u.linkedId !== undefined) set.linked_id = u.linkedId
  if (u.tag !== undefined) set.tag = JSON.stringify(u.tag)
  if (u.suspect !== undefined) set.suspect = u.suspect ? 1 : 0
  const res = await db
    .updateTable('visits')
    .set(set)
    .where('app_id', '=', appId)
    .where('request_id', '=', requestId)
    // The request id carries its millisecond: PostgreSQL touches one partition.
    .where('ts', '>=', Number(ms) * 1000)
    .where('ts', '<', (Number(ms) + 1) * 1000)
    .executeTakeFirst()
  return Number(res.numUpdatedRows) > 0
}
