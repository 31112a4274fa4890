import type { LoadedEvent } from '../events/loaded.js'
import type { V3Webhook } from '../events/types.js'
import { SERVER_VERSION } from '../version.js'
import { v3Parts } from './v3.js'
import { toV4Event } from './v4.js'

/** The identification's fields at the top level, then each smart signal's data under its product name. */
export function toV3Webhook(e: LoadedEvent): V3Webhook {
  const { identification, botd, ipInfo, signals: p } = v3Parts(e)
  // The owner's suspect flag is set later through the API: a webhook never has it.
  const { suspect: _, ...id } = identification
  const hook: V3Webhook = {
    ...id,
    bot: botd.bot,
    userAgent: botd.userAgent,
    sdk: { platform: 'js', version: SERVER_VERSION },
  }
  if (ipInfo) hook.ipInfo = ipInfo
  if (p.vpn?.data) hook.vpn = p.vpn.data
  if (p.tampering?.data) hook.tampering = p.tampering.data
  if (p.privacySettings?.data) hook.privacySettings = p.privacySettings.data
  if (p.virtualMachine?.data) hook.virtualMachine = p.virtualMachine.data
  if (p.highActivity?.data) hook.highActivity = p.highActivity.data
  if (p.suspectScore?.data) hook.suspectScore = p.suspectScore.data
  if (p.velocity?.data) hook.velocity = p.velocity.data
  return hook
}

/** A webhook's body for one event: the flat v4 event, or the v3 webhook body. */
export const toWebhookBody = (e: LoadedEvent, format: 'v3' | 'v4') =>
  format === 'v3' ? toV3Webhook(e) : toV4Event(e)
