export interface RetryPolicy {
  /** Delay after the first failed attempt; it doubles with each further failure. */
  baseMs: number
  /** Longest delay between two attempts. */
  maxMs: number
  /** No attempt is scheduled later than this after the event was queued. */
  giveUpAfterMs: number
  /** Nor more attempts than this. */
  maxAttempts: number
}

/** 5 s, 10 s, 20 s … 1 h, each ±20 %; given up after 24 h (about 33 attempts). */
export const DEFAULT_RETRY: RetryPolicy = {
  baseMs: 5000,
  maxMs: 3_600_000,
  giveUpAfterMs: 24 * 3_600_000,
  maxAttempts: 40,
}

/** The wait after `failures` failed attempts (≥ 1): exponential, capped, with ±20 % jitter. */
export function retryDelay(policy: RetryPolicy, failures: number, random = Math.random): number {
  const exp = policy.baseMs * 2 ** Math.min(failures - 1, 40)
  return Math.round(Math.min(exp, policy.maxMs) * (0.8 + 0.4 * random()))
}

/** When to try again after a failed attempt, or null to give up. */
export function nextAttemptAt(
  policy: RetryPolicy,
  failures: number,
  queuedAt: number,
  now: number,
  random = Math.random,
): number | null {
  if (failures >= policy.maxAttempts) return null
  const at = now + retryDelay(policy, failures, random)
  return at - queuedAt > policy.giveUpAfterMs ? null : at
}
