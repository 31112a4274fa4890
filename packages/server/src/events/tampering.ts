import { botSignals, type EventContext, record, value } from './context.js'
import type { Confidence } from './types.js'

/**
 * Evidence that the browser lies about itself, with the probability each alone gives (noisy-OR).
 * The lying-API and User-Agent contradictions are enrich/bots.ts's verdicts stored with the visit;
 * noise is read from the components (the agent renders canvas and audio twice).
 */
export const TAMPERING_WEIGHTS = {
  // A native API replaced by a script (the agent checks toString, name, receiver; bots.ts names them).
  webdriver_tampered: 0.8,
  api_tampered: 0.6,
  fingerprint_api_tampered: 0.5,
  // The User-Agent contradicts Client Hints, navigator.platform, the JS engine or the request header.
  ua_hints_mismatch: 0.6,
  ua_platform_mismatch: 0.5,
  ua_engine_mismatch: 0.6,
  hints_blank: 0.3,
  ua_mismatch: 0.5,
  // Anti-fingerprinting noise: two renderings of the same drawing differ (Brave, Safari, extensions).
  canvas_noise: 0.25,
  audio_noise: 0.15,
} as const

export type TamperingEvidence = keyof typeof TAMPERING_WEIGHTS

/** At or above this anomaly score the event is reported as tampered. */
export const TAMPERING_THRESHOLD = 0.5

export interface Tampering {
  result: boolean
  confidence: Confidence
  anomalyScore: number
  evidence: TamperingEvidence[]
}

export function tamperingEvidence(ctx: EventContext): TamperingEvidence[] {
  const fired = botSignals(ctx)
  const out = (Object.keys(TAMPERING_WEIGHTS) as TamperingEvidence[]).filter((k) => fired.has(k))
  if (record(value(ctx, 'canvas'))?.stable === false) out.push('canvas_noise')
  if (value(ctx, 'audio') === 'unstable') out.push('audio_noise')
  return out
}

/**
 * Confidence of a positive result grows with the score (0.8+: high, 0.65+: medium, else low); a negative
 * result is reported with high confidence, as the API defines it.
 */
function confidenceOf(score: number): Confidence {
  if (score < TAMPERING_THRESHOLD || score >= 0.8) return 'high'
  return score >= 0.65 ? 'medium' : 'low'
}

export function tampering(ctx: EventContext): Tampering {
  const evidence = tamperingEvidence(ctx)
  const human = evidence.reduce((p, k) => p * (1 - TAMPERING_WEIGHTS[k]), 1)
  const anomalyScore = Math.round((1 - human) * 100) / 100
  return {
    result: anomalyScore >= TAMPERING_THRESHOLD,
    confidence: confidenceOf(anomalyScore),
    anomalyScore,
    evidence,
  }
}
