// The contract between the accuracy simulator (population + evolution) and the identifiers it scores.

import type { Components } from '../../packages/server/src/schemas/stored.js'

/** Components as the server validates and stores them (the agent's names: @sightline/agent/components). */
export type { Components }

export type EventType =
  | 'first' // the browser's first visit
  | 'revisit' // nothing changed
  | 'browserUpdate'
  | 'osUpdate'
  | 'dst'
  | 'travel'
  | 'zoom'
  | 'monitor'
  | 'fontInstall'
  | 'gpuDriver'
  | 'clearStorage'
  | 'incognito'
  | 'randomized' // a browser that randomises its fingerprint (Brave-like farbling, anti-fingerprinting extensions)
  | 'deviceReplacement' // the person got a new device: truth says a NEW browser, never the old one

/** One identification request, in time order. The identifier sees everything but the `truth`. */
export interface SimVisit {
  /** Simulated time, ms since the epoch. */
  t: number
  /** Components exactly as our agent would send them (names from packages/agent/src/sources). */
  components: Components
  ip: string
  /** Network owner of `ip` and its country, as the server's enrichment would report them. */
  asn: number
  country: string
  /** What happened since this browser's previous visit (several may apply). */
  events: EventType[]
  /** Whether the browser still holds the identifier issued on its previous visit. */
  storageKept: boolean
  truth: {
    /** The unit that should keep one visitorId: one browser profile on one device. */
    browser: string
    device: string
    /** Set for devices that are identical by construction (same phone model, same corporate image). */
    cloneGroup: string | null
    platform: 'desktop' | 'mobile'
  }
}

/** A probable earlier visitor, as the engine serves it. */
export interface LinkAnswer {
  visitorId: string
  probability: number
}

export interface Answer {
  visitorId: string
  storedId: string
  /** Probability that visitorId names this browser (confidence.score); methods without one omit it. */
  confidence?: number
  /** Probable earlier visitors of a visit without a valid stored identifier. */
  candidates?: LinkAnswer[]
  /** Every candidate with the link model's features, for fitting (ours only). */
  features?: { visitorId: string; features: Record<string, number> }[]
  /** What the new-visitor probability used besides the candidates, for fitting (ours only). */
  context?: { mobile: boolean; logRecognised: number } | null
}

/** An identification method under test (ours, or a baseline). */
export interface Identifier {
  readonly name: string
  /** Oracles see the ground truth (bench-only ceilings); they get the whole visit. */
  readonly oracle?: boolean
  /**
   * `storedId`: what the browser kept from its previous answer (null when storage was cleared,
   * in incognito, or on a first visit). Returns the visitorId it assigns and the identifier the
   * browser should keep (for baselines without server-issued identifiers, both are the visitorId).
   */
  identify(
    visit: Omit<SimVisit, 'truth' | 'events'> & Partial<SimVisit>,
    storedId: string | null,
  ): Answer | Promise<Answer>
  /** Visits stored so far (for latency-at-size measurements). */
  size?(): number
}
