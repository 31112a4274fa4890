// Frozen: this migration imports nothing from the application, so it does today what it did
// when it shipped. Never edit it; add a new migration instead.
// Payloads already posted (the agent's nonce, or the payload's hash): a replay is recognised (store/replay.ts).
import type { Kysely } from 'kysely'

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('payload_nonces')
    .addColumn('app_id', 'text', (c) => c.notNull())
    .addColumn('nonce', 'text', (c) => c.notNull())
    .addColumn('request_id', 'text', (c) => c.notNull())
    .addColumn('seen_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('payload_nonces_pk', ['app_id', 'nonce'])
    .execute()
  await db.schema.createIndex('payload_nonces_seen_at').on('payload_nonces').column('seen_at').execute()
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('payload_nonces').ifExists().execute()
}
