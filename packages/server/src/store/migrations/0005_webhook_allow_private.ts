// Frozen: this migration imports nothing from the application, so it does today what it did
// when it shipped. Never edit it; add a new migration instead.
// Webhooks reach only public addresses unless added with --allow-private (webhooks/target.ts).
import type { Kysely } from 'kysely'

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .alterTable('webhooks')
    .addColumn('allow_private', 'integer', (c) => c.notNull().defaultTo(0))
    .execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('webhooks').dropColumn('allow_private').execute()
}
