import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import type { Comparison } from '../../src/identify/compare.js'
import { RECOGNISED_KEY, STORAGELESS_KEY, valueKey } from '../../src/identify/frequency.js'
import { assess, settle } from '../../src/identify/identify.js'
import {
  anonymitySet,
  LINK_FEATURES,
  LINK_MODEL,
  LINK_MODELS,
  linkFeatures,
  linkProbabilities,
  MAX_LINKS,
  matchProbability,
  NEW_MODEL,
  newFeatures,
  newProbability,
  probableLinks,
  SCORE_KNOTS,
  type ScoredCandidate,
} from '../../src/identify/links.js'
import { MemoryIdentityStore } from '../../src/identify/memory-store.js'
import type { ValueCounts } from '../../src/identify/port.js'
import type { Profile } from '../../src/identify/profile.js'

const DAY = 86_400_000_000
const T0 = Date.UTC(2026, 6, 1) * 1000

function profile(over: Partial<Profile> = {}, net: Partial<Profile['network']> = {}): Profile {
  return {
    stable: { fonts: ['Arial', 'Calibri'], screenSize: [1920, 1080], languages: ['de-DE'] },
    browser: 'Chrome',
    major: 140,
    os: 'Windows',
    network: { ip: '198.51.100.7', prefix: '198.51.100.0/24', asn: 3320, country: 'DE', ...net },
    seenAt: T0,
    ...over,
  }
}
const comparison = (similarity = 1, matched = ['fonts', 'screenSize', 'languages']): Comparison => ({
  veto: null,
  similarity,
  score: similarity,
  matched,
  differed: [],
})
const counts = (visitors: number, entries: [string, unknown, number][] = []): ValueCounts => ({
  visitors,
  counts: new Map(entries.map(([c, v, n]) => [valueKey(c, v), n])),
})
const cand = (id: string, p: Profile, exact = true, similarity = 1): ScoredCandidate => ({
  visitorId: id,
  profile: p,
  comparison: comparison(similarity),
  exact,
})
const cur = profile({ seenAt: T0 + 2 * DAY }, { ip: '203.0.113.9', prefix: '203.0.113.0/24', asn: 3209 })
const withCounters = (k: ValueCounts, recognised: number, all: number): ValueCounts => ({
  visitors: k.visitors,
  counts: new Map([...k.counts, [STORAGELESS_KEY, all], [RECOGNISED_KEY, recognised]]),
})
const prob = (c: ScoredCandidate[], k = counts(1000), holders = 1, at = cur) =>
  probableLinks(c, at, k, holders)

describe('link probability model', () => {
  it("each candidate's probability is its own: two visitors of one split browser can both be probable", () => {
    const here = profile({ seenAt: T0 + DAY })
    const r = prob([cand('a', profile()), cand('b', profile())], counts(1000), 2, here)
    const total = r.links.reduce((a, l) => a + l.probability, 0)
    assert.ok(total > 1, `two candidates at the same address, exact: ${total} in all`)
    assert.ok(r.links[0]!.probability >= r.links[1]!.probability, 'most probable first')
    assert.ok(r.fresh < 0.5, `a new browser is improbable with two such candidates: ${r.fresh}`)
  })

  it('offers at most three candidates, each with reasons', () => {
    const r = prob(
      Array.from({ length: 7 }, (_, i) => cand(`v${i}`, profile())),
      counts(1000),
      7,
    )
    assert.equal(r.links.length, MAX_LINKS)
    for (const l of r.links) assert.ok(l.reasons.length >= 3)
  })

  it('anonymity set: rare values make a small set, common ones a large one; unseen values count as rare', () => {
    const p = profile()
    const rare = counts(10_000, [
      ['fonts', p.stable.fonts, 2],
      ['screenSize', p.stable.screenSize, 3],
    ])
    const common = counts(10_000, [
      ['fonts', p.stable.fonts, 6000],
      ['screenSize', p.stable.screenSize, 5000],
    ])
    assert.ok(anonymitySet(p, ['fonts', 'screenSize'], rare) < 1.01)
    assert.ok(Math.abs(anonymitySet(p, ['fonts', 'screenSize'], common) - 3000) < 1)
    assert.ok(anonymitySet(p, ['fonts'], counts(10_000)) < 1.01)
  })

  it('a common fingerprint is less probable than a rare one', () => {
    const p = profile()
    const common = counts(10_000, [
      ['fonts', p.stable.fonts, 6000],
      ['screenSize', p.stable.screenSize, 5000],
      ['languages', p.stable.languages, 4000],
    ])
    const rare = prob([cand('a', p)], counts(10_000)).links[0]!.probability
    const many = prob([cand('a', p)], common).links[0]!.probability
    assert.ok(many < rare, `${many} < ${rare}`)
  })

  it('more visitors showing the exact fingerprint lowers each one', () => {
    const one = prob([cand('a', profile())], counts(1000), 1).links[0]!.probability
    const ten = prob([cand('a', profile())], counts(1000), 10).links[0]!.probability
    assert.ok(ten < one)
  })

  it('the same address raises the probability; another network and country lower it', () => {
    const same = profile({ seenAt: T0 + DAY })
    const base = (net: Partial<Profile['network']>) =>
      prob([cand('a', profile({}, net))], counts(1000), 1, { ...same, network: { ...same.network } })
        .links[0]!.probability
    const atIp = base({})
    const elsewhere = base({ ip: '192.0.2.1', prefix: '192.0.2.0/24', asn: 7922, country: 'US' })
    assert.ok(atIp > elsewhere, `${atIp} > ${elsewhere}`)
  })

  it("phones are less unique than desktops: that reaches a phone's link through the app's frequencies", () => {
    const p = profile({ os: 'iOS' })
    // A best-selling phone at its defaults: its values are common in the app, and nine others showed it.
    const popular = counts(10_000, [
      ['fonts', p.stable.fonts, 3000],
      ['screenSize', p.stable.screenSize, 2500],
      ['languages', p.stable.languages, 4000],
    ])
    const phone = prob([cand('a', p)], popular, 10, { ...cur, os: 'iOS' }).links[0]!.probability
    const desktop = prob([cand('a', profile())], counts(10_000), 1).links[0]!.probability
    assert.ok(phone < desktop, `${phone} < ${desktop}`)
    const feats = linkFeatures(cand('a', profile()), { ...cur, os: 'Android' }, counts(10), 1)
    assert.equal(feats.mobile, 1)
  })

  it('time since last seen enters as log(1 + days)', () => {
    const f = linkFeatures(cand('a', profile({ seenAt: cur.seenAt - 30 * DAY })), cur, counts(100), 1)
    assert.ok(Math.abs(f.logDays - Math.log(31)) < 1e-9)
  })

  it('a probability is the logistic of the calibrated linear score', () => {
    const f = linkFeatures(cand('a', profile()), cur, counts(100), 1)
    const [p] = linkProbabilities([f], LINK_MODEL)
    const s = LINK_FEATURES.reduce((a, k) => a + LINK_MODEL.weights[k] * f[k], 0)
    const c = LINK_MODEL.calibration
    const x =
      c[0]! + c[1]! * s + SCORE_KNOTS.reduce<number>((a, k, i) => a + c[i + 2]! * Math.max(0, s - k), 0)
    assert.ok(Math.abs(p! - 1 / (1 + Math.exp(-x))) < 1e-12, `${p} vs ${1 / (1 + Math.exp(-x))}`)
  })

  it('a match the engine made is surer than a weak link alone: its own rules chose it', () => {
    for (const p of [0.1, 0.3, 0.5]) {
      const m = matchProbability(p)
      assert.ok(m > p && m <= 1, `match at link ${p}: ${m}`)
    }
  })

  it("the app's base rate: recognised storage-less visits raise a link, unrecognised ones lower it", () => {
    const at = (recognised: number, all: number) =>
      probableLinks([cand('a', profile())], cur, withCounters(counts(1000), recognised, all), 1)
    const often = at(400, 1000)
    const seldom = at(10, 1000)
    assert.equal(often.context.logRecognised, Math.log(401 / 601))
    assert.ok(
      often.links[0]!.probability > seldom.links[0]!.probability,
      `${often.links[0]!.probability} > ${seldom.links[0]!.probability}`,
    )
    assert.ok(
      often.fresh < seldom.fresh,
      `new is less probable where returns are common: ${often.fresh} < ${seldom.fresh}`,
    )
  })
})

describe('assess() and settle() over the in-memory port', () => {
  const components = {
    fonts: { value: ['Arial'] },
    screenSize: { value: [1920, 1080] },
    webgl: { value: { unmaskedRenderer: 'ANGLE (NVIDIA, NVIDIA GeForce RTX 3060 Direct3D11)' } },
  }
  const facts = (ip: string, ts: number) => ({
    appId: 'app',
    components,
    token: { status: 'absent' } as const,
    ip,
    asn: 3320,
    country: 'DE',
    browser: 'Chrome',
    majorVersion: '140',
    os: 'Windows',
    ts,
  })

  it('a first visit is new, as probable as NEW_MODEL says; a storage-less return elsewhere names it, and joins it when probable enough', async () => {
    const store = new MemoryIdentityStore()
    const a1 = await assess(store, facts('198.51.100.7', T0))
    assert.equal(a1.decision.path, 'new')
    assert.deepEqual(a1.links, [])
    const alone = newProbability(newFeatures([], { mobile: false, logRecognised: 0 }), NEW_MODEL)
    assert.equal(a1.confidence, Math.round(alone * 1000) / 1000)
    assert.ok(
      a1.confidence > 0.5,
      `a storage-less visit with no candidate at all is probably new: ${a1.confidence}`,
    )
    let n = 0
    const s1 = await settle(store, 'app', a1, () => `visitor${n++}`.padEnd(20, '0'), T0)
    // Above no probability (accept 2): stays new, names the earlier visitor, as sure as NEW_MODEL says.
    const a2 = await assess(store, facts('203.0.113.9', T0 + DAY), LINK_MODELS, 2)
    assert.equal(a2.decision.visitorId, null)
    assert.equal(a2.links[0]!.visitorId, s1.visitorId)
    const [p2] = linkProbabilities([a2.scored[0]!.features])
    const fresh = newProbability(newFeatures([{ p: p2!, exact: true }], a2.context!))
    assert.equal(a2.confidence, Math.round(fresh * 1000) / 1000)
    // The first visit was counted as storage-less and not recognised.
    assert.equal(a2.context!.logRecognised, Math.log(1 / 2))
    // At or above the acceptance probability, it joins that visitor, as sure as MATCH_MODEL makes the link.
    const a3 = await assess(store, facts('203.0.113.9', T0 + DAY), LINK_MODELS, a2.links[0]!.probability)
    assert.equal(a3.decision.visitorId, s1.visitorId)
    assert.equal(a3.decision.path, 'fingerprint')
    const [p3] = linkProbabilities([a3.scored[0]!.features])
    assert.equal(a3.confidence, Math.round(matchProbability(p3!) * 1000) / 1000)
    const counted = await store.valueCounts('app', [STORAGELESS_KEY, RECOGNISED_KEY])
    assert.equal(counted.visitors, 1)
    await settle(store, 'app', a3, () => 'unused'.padEnd(20, '0'), T0 + DAY)
    const after = await store.valueCounts('app', [STORAGELESS_KEY, RECOGNISED_KEY])
    assert.equal(after.counts.get(STORAGELESS_KEY), 2, 'two storage-less visits')
    assert.equal(after.counts.get(RECOGNISED_KEY), 1, 'the second found its earlier visitor')
    assert.equal(after.visitors, 1)
  })
})
