import type { Generated } from 'kysely'
import type {
  BotAssessment,
  Components,
  DaySummary,
  Identification,
  IpLocation,
  VisitorDetails,
} from '../schemas/stored.js'
import type { Json } from './json.js'

export interface SettingsTable {
  key: string
  value: string
}

export interface AppsTable {
  id: string
  name: string
  public_key: string
  secret_key_hash: string
  /** JSON array of allowed origins, or null for any origin. */
  allowed_origins: string | null
  created_at: number
}

export interface VisitorsTable {
  app_id: string
  visitor_id: string
  /** Microseconds since the epoch. */
  first_seen_at: number
  last_seen_at: number
  profile: string | null
}

export interface FingerprintPartsTable {
  app_id: string
  part: number
  hash: string
  visitor_id: string
  last_seen_at: number
}

export interface VisitorClaimsTable {
  app_id: string
  claim: string
  visitor_id: string
  created_at: number
}

/** Visitors per component value per app (identify/frequency.ts); the key '*visitors' holds the app's total. */
export interface ValueCountsTable {
  app_id: string
  key: string
  count: number
  last_seen_at: number
}

export interface FingerprintsTable {
  app_id: string
  fingerprint: string
  visitor_id: string
  last_seen_at: number
}

export interface VisitsTable {
  request_id: string
  app_id: string
  visitor_id: string
  /** Microseconds since the epoch. */
  ts: number
  fingerprint: string
  url: string
  ip: string
  /** JSON text of the tag exactly as the agent sent it; null when absent. */
  tag: string | null
  linked_id: string | null
  /** The JSON columns: their shapes are in schemas/stored.ts, their readers in store/json.ts. */
  ip_location: Json<IpLocation> | null
  visitor_details: Json<VisitorDetails>
  components: Json<Components>
  identification: Json<Identification>
  bot: Json<BotAssessment>
  /** 1 when the owner marked the event as suspect (PUT/PATCH on the Server APIs). */
  suspect: Generated<number>
  /** events/bot-result.ts: 'notDetected' | 'good' | 'bad'. */
  bot_result: Generated<string>
}

export interface WebhooksTable {
  id: string
  app_id: string
  url: string
  secret: string
  previous_secret: string | null
  /** 'v4' (flat event) or 'v3' ({products}). */
  format: string
  /** ms since the epoch. */
  created_at: number
  /** 1: added with --allow-private, may reach non-public addresses (migration 0005). */
  allow_private: number
}

export interface WebhookDeliveriesTable {
  webhook_id: string
  event_id: string
  app_id: string
  visitor_id: string
  /** µs since the epoch: the event's visit time. */
  event_ts: number
  status: 'pending' | 'delivered' | 'failed'
  attempts: number
  /** ms since the epoch. */
  next_attempt_at: number
  locked_until: number
  body: string | null
  last_status: number | null
  last_error: string | null
  created_at: number
  delivered_at: number | null
}

export interface SealedKeysTable {
  id: string
  app_id: string
  key: string
  format: string
  active: number
  created_at: number
}

export interface UsersTable {
  id: string
  email: string
  /** scrypt$N$r$p$salt$hash (dashboard/passwords.ts). */
  password_hash: string
  role: 'admin' | 'viewer'
  /** ms since the epoch. */
  created_at: number
}

export interface SessionsTable {
  /** SHA-256 of the session cookie's value: a database copy cannot be replayed as a cookie. */
  token_hash: string
  user_id: string
  csrf: string
  /** ms since the epoch. */
  created_at: number
  last_seen_at: number
}

/** One app's UTC day of visits, summed once the day is over (store/summaries.ts). */
export interface DailySummariesTable {
  app_id: string
  /** Days since the epoch (UTC). */
  day: number
  summary: Json<DaySummary>
  computed_at: number
}

export interface Database {
  settings: SettingsTable
  apps: AppsTable
  visitors: VisitorsTable
  fingerprints: FingerprintsTable
  fingerprint_parts: FingerprintPartsTable
  visitor_claims: VisitorClaimsTable
  visits: VisitsTable
  webhooks: WebhooksTable
  webhook_deliveries: WebhookDeliveriesTable
  sealed_keys: SealedKeysTable
  value_counts: ValueCountsTable
  users: UsersTable
  sessions: SessionsTable
  daily_summaries: DailySummariesTable
}
