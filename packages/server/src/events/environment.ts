import { botSignals, type EventContext, record, value } from './context.js'
import { zoneOffset } from './timezones.js'

/** WebGL renderers (or vendors) of virtual GPUs: hypervisors' display adapters and paravirtual drivers. */
const VM_RENDERER =
  /VMware|SVGA3D|VirtualBox|Parallels|Hyper-V|Microsoft Basic Render Driver|QEMU|virtio|virgl|Bochs|Cirrus Logic|Citrix/i

/** Null without a WebGL component (no renderer to judge). */
export function virtualMachine(ctx: EventContext): boolean | null {
  const gl = record(value(ctx, 'webgl'))
  if (!gl) return null
  const text = ['unmaskedRenderer', 'renderer', 'unmaskedVendor'].map((k) => gl[k] ?? '').join(' ')
  return VM_RENDERER.test(text)
}

/** Firefox's resistFingerprinting (and Tor Browser) report one of these zones whatever the clock. */
const RFP_ZONES = new Set(['UTC', 'Etc/UTC', 'Atlantic/Reykjavik'])

export function browserZone(ctx: EventContext): string | null {
  const tz = record(value(ctx, 'timezone'))?.name ?? record(value(ctx, 'intl'))?.timeZone
  return typeof tz === 'string' && tz !== '' ? tz : null
}

/** Gecko forcing a UTC zone while the IP's zone is elsewhere: resistFingerprinting, not geography. */
function resistFingerprinting(ctx: EventContext): boolean {
  const zone = browserZone(ctx)
  const ipZone = ctx.location?.timeZone
  if (!zone || !RFP_ZONES.has(zone) || !ipZone || !/Firefox\/\d/.test(ctx.details.userAgent ?? ''))
    return false
  const offset = zoneOffset(ipZone, ctx.ms)
  return offset !== null && offset !== 0
}

/**
 * A browser that blocks or falsifies fingerprinting: noisy canvas or audio renderings, fingerprinting
 * APIs replaced by an extension, or Firefox's resistFingerprinting. Null when the agent sent neither
 * canvas nor audio.
 */
export function privacySettings(ctx: EventContext): boolean | null {
  const canvas = record(value(ctx, 'canvas'))
  const audio = value(ctx, 'audio')
  if (!canvas && (audio === undefined || audio === null)) return null
  return (
    canvas?.stable === false ||
    audio === 'unstable' ||
    botSignals(ctx).has('fingerprint_api_tampered') ||
    resistFingerprinting(ctx)
  )
}
