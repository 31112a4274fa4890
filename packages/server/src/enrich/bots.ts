import { isbot } from 'isbot'

/**
 * Signal weights. A signal's weight is the probability it alone gives that the visitor is a bot;
 * signals combine as a noisy-OR: botProbability = 1 - Π(1 - weight), rounded to 2 decimals.
 *
 * | signal                 | weight | when                                                           |
 * |------------------------|--------|----------------------------------------------------------------|
 * | ua_declares_bot        | 0.90   | `isbot` matches the agent's or the request's User-Agent         |
 * | webdriver              | 0.80   | navigator.webdriver === true (automation: Selenium, Playwright) |
 * | headless_chrome        | 0.80   | "HeadlessChrome" in a User-Agent or in Client Hints brands      |
 * | webdriver_tampered     | 0.70   | the webdriver getter is not native (someone hid automation)     |
 * | ua_missing             | 0.50   | no User-Agent at all, or an empty one                          |
 * | ua_mismatch            | 0.50   | the request header's User-Agent differs from the agent's       |
 */
export const BOT_WEIGHTS = {
  ua_declares_bot: 0.9,
  webdriver: 0.8,
  headless_chrome: 0.8,
  webdriver_tampered: 0.7,
  ua_missing: 0.5,
  ua_mismatch: 0.5,
} as const

export type BotSignal = keyof typeof BOT_WEIGHTS

export interface BotInput {
  /** User-Agent reported by the agent (navigator.userAgent). */
  userAgent: string | null | undefined
  /** User-Agent request header. */
  headerUserAgent?: string | null
  /** The agent's webdriver component: `true`/`false`, or `{ value: boolean, native: boolean }`. */
  webdriver?: unknown
  /** Client Hints as reported by the agent; only `brands` is read. */
  uaHints?: unknown
}

export interface BotAssessment {
  browserSaysItsBot: boolean
  browserHeadless: boolean
  /** 0..1, two decimals. */
  botProbability: number
  reasons: { signal: BotSignal; weight: number }[]
}

const text = (v: unknown): string | null => (typeof v === 'string' && v.trim() !== '' ? v.trim() : null)

function hintBrands(hints: unknown): string[] {
  const brands = (hints as { brands?: unknown } | null)?.brands
  if (!Array.isArray(brands)) return []
  return brands.flatMap((b) => {
    const brand = (b as { brand?: unknown } | null)?.brand
    return typeof brand === 'string' ? [brand] : []
  })
}

export function assessBot(input: BotInput): BotAssessment {
  const signals: BotSignal[] = []
  const agentUa = text(input?.userAgent)
  const headerUa = text(input?.headerUserAgent)
  const uas = [agentUa, headerUa].filter((u): u is string => u !== null)

  const saysBot = uas.some((u) => isbot(u))
  if (saysBot) signals.push('ua_declares_bot')

  const headless =
    uas.some((u) => u.includes('HeadlessChrome')) || hintBrands(input?.uaHints).includes('HeadlessChrome')
  if (headless) signals.push('headless_chrome')

  const wd = input?.webdriver
  const wdObj = typeof wd === 'object' && wd !== null ? (wd as { value?: unknown; native?: unknown }) : null
  if (wd === true || wdObj?.value === true) signals.push('webdriver')
  if (wdObj?.native === false) signals.push('webdriver_tampered')

  if (uas.length === 0) signals.push('ua_missing')
  if (agentUa && headerUa && agentUa !== headerUa) signals.push('ua_mismatch')

  const reasons = signals.map((signal) => ({ signal, weight: BOT_WEIGHTS[signal] }))
  const human = reasons.reduce((p, r) => p * (1 - r.weight), 1)
  return {
    browserSaysItsBot: saysBot,
    browserHeadless: headless,
    botProbability: Math.round((1 - human) * 100) / 100,
    reasons,
  }
}
