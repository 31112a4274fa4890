/** The Server APIs' bot verdict, derived from our score (enrich/bots.ts). */
export type BotResult = 'notDetected' | 'good' | 'bad'

/** At or above this botProbability a visit counts as a bad bot. */
export const BAD_BOT_THRESHOLD = 0.5

/**
 * Crawlers and monitors that name themselves in the User-Agent. We cannot verify the claim offline
 * (no reverse DNS), so "good" means "declares itself as a known, well-behaved bot".
 */
const GOOD_BOTS: [RegExp, string][] = [
  [/googlebot|google-inspectiontool|adsbot-google|mediapartners-google|apis-google/i, 'google'],
  [/bingbot|bingpreview|msnbot/i, 'bing'],
  [/yandex(bot|images|metrika)/i, 'yandex'],
  [/duckduckbot|duckassistbot/i, 'duckduckgo'],
  [/baiduspider/i, 'baidu'],
  [/applebot/i, 'apple'],
  [/slurp/i, 'yahoo'],
  [/facebookexternalhit|facebookcatalog|meta-externalagent/i, 'facebook'],
  [/twitterbot/i, 'twitter'],
  [/linkedinbot/i, 'linkedin'],
  [/slackbot/i, 'slack'],
  [/discordbot/i, 'discord'],
  [/telegrambot/i, 'telegram'],
  [/uptimerobot|pingdom|statuscake|site24x7|better ?uptime/i, 'monitoring'],
]

export function botResult(
  bot: { browserSaysItsBot?: boolean; botProbability?: number },
  userAgent: string | null | undefined,
): { result: BotResult; type?: string } {
  if (bot.browserSaysItsBot && userAgent) {
    for (const [re, type] of GOOD_BOTS) if (re.test(userAgent)) return { result: 'good', type }
  }
  if (bot.browserSaysItsBot || (bot.botProbability ?? 0) >= BAD_BOT_THRESHOLD) return { result: 'bad' }
  return { result: 'notDetected' }
}
