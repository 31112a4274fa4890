import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { COMPONENT_NAMES } from '@sightline/agent/components'
import { STABLE_COMPONENTS } from '@sightline/agent/stable'
import { assessBot } from '../../src/enrich/bots.js'
import { INGEST_BODY_SCHEMA } from '../../src/http/ingest.js'
import { compare } from '../../src/identify/compare.js'
import { COMPONENTS, CORE_COMPONENTS, PART_GROUPS, type StableRule } from '../../src/identify/components.js'
import { profileKeys } from '../../src/identify/frequency.js'
import type { Profile } from '../../src/identify/profile.js'
import { profile, STABLE, T0 } from './fixtures.js'

const DAY = 86_400_000_000
const abroad = { ip: '192.0.2.44', prefix: '192.0.2.0/24', asn: 64999, country: 'DE' }
const prev = profile()
/** compare() after `days`, with `stable` changed: the one difference, and the veto. */
function change(stable: Record<string, unknown>, over: Partial<Profile> = {}, days = 2) {
  const c = compare(prev, profile({ seenAt: T0 + days * DAY, ...over }, stable))
  return { veto: c.veto, differed: c.differed }
}
const rule = (name: keyof typeof STABLE) => COMPONENTS[name] as StableRule

describe('component table', () => {
  it('has exactly one entry per component the agent sends', () => {
    assert.deepEqual(
      Object.keys(COMPONENTS).sort(),
      [...COMPONENT_NAMES].sort(),
      'the table and @sightline/agent/components name the same components',
    )
  })

  it('marks as stable exactly the components the agent hashes, with their engine rules', () => {
    const stable = Object.entries(COMPONENTS)
      .filter(([, r]) => r.stable)
      .map(([n]) => n)
    assert.deepEqual(stable.sort(), [...STABLE_COMPONENTS].sort(), 'stable entries are STABLE_COMPONENTS')
    for (const name of stable) {
      const r = COMPONENTS[name as keyof typeof COMPONENTS] as StableRule
      assert.ok(r.weight > 0, `${name} has a weight`)
    }
  })

  it('names every component the way the identify schema accepts, within its count', () => {
    const { pattern } = INGEST_BODY_SCHEMA.properties.components.propertyNames
    for (const name of COMPONENT_NAMES) assert.match(name, new RegExp(pattern), name)
    assert.ok(COMPONENT_NAMES.length <= INGEST_BODY_SCHEMA.properties.components.maxProperties, 'count')
  })

  it('keeps the part groups their stored hashes were made with', () => {
    assert.deepEqual(PART_GROUPS, [
      ['webgl', 'hardwareConcurrency', 'deviceMemory', 'platform', 'touchSupport', 'vendor'],
      ['screenSize', 'canvas', 'audio'],
      ['fonts', 'math', 'pdfViewerEnabled'],
      ['languages', 'intl'],
    ])
  })

  it('compare() weighs the stable components heaviest first, in table order', () => {
    assert.deepEqual(compare(prev, profile({ seenAt: T0 + DAY })).matched, [
      'webgl',
      'fonts',
      'canvas',
      'screenSize',
      'audio',
      'languages',
      'intl',
      'hardwareConcurrency',
      'deviceMemory',
      'platform',
      'touchSupport',
      'vendor',
      'math',
      'pdfViewerEnabled',
    ])
  })
})

describe('component rules', () => {
  it('hardware: a known value that changes is another device; an unknown one is not', () => {
    for (const [name, other] of [
      ['hardwareConcurrency', 16],
      ['deviceMemory', 4],
      ['platform', 'MacIntel'],
      ['touchSupport', { maxTouchPoints: 5 }],
      ['vendor', 'Apple Computer, Inc.'],
    ] as const) {
      assert.equal(rule(name).hardware, 'value', name)
      assert.equal(change({ [name]: other }).veto, 'hardware changed', name)
      const unknown = compare(profile({}, { [name]: null }), profile({ seenAt: T0 + DAY }))
      assert.equal(unknown.veto, null, `${name}: from unknown to known is no veto`)
      assert.deepEqual(
        unknown.differed.find((d) => d.component === name),
        { component: name, penalty: 1, why: 'changed' },
        `${name}: no evolution rule, counts fully`,
      )
    }
  })

  it('hardware: the GPU model is checked after the other hardware', () => {
    const gpu = {
      webgl: { unmaskedRenderer: 'ANGLE (AMD, AMD Radeon RX 6600 Direct3D11 vs_5_0 ps_5_0, D3D11)' },
    }
    assert.equal(change(gpu).veto, 'GPU changed')
    assert.equal(change({ ...gpu, platform: 'Linux x86_64' }).veto, 'hardware changed')
  })

  it('webgl: same GPU, other driver details: a fifth of its weight', () => {
    const d = change({ webgl: { ...STABLE.webgl, vendor: 'Google Inc. (NVIDIA)' } }).differed
    assert.deepEqual(d, [{ component: 'webgl', penalty: 0.2, why: 'same GPU, other driver or API details' }])
  })

  it('fonts: installing is cheap (0.1 a font, at most 0.5); removing counts as the Jaccard distance ×2', () => {
    assert.deepEqual(change({ fonts: [...STABLE.fonts, 'Aptos'] }).differed[0], {
      component: 'fonts',
      penalty: 0.1,
      why: '1 font(s) installed',
    })
    assert.equal(change({ fonts: [...STABLE.fonts, 'A', 'B', 'C', 'D', 'E', 'F'] }).differed[0]!.penalty, 0.5)
    const removed = change({ fonts: STABLE.fonts.slice(0, 4) }).differed[0]!
    assert.equal(removed.penalty, Math.min(1, (1 - 4 / 5) * 2))
    assert.equal(removed.why, 'fonts differ (Jaccard 0.80)')
  })

  it('canvas and audio: 0.3 with a browser update, 1 without, 0 when the canvas says noise', () => {
    for (const name of ['canvas', 'audio'] as const) {
      const other = name === 'canvas' ? { text: 'c2', geometry: 'g2', stable: true } : 124.5
      assert.equal(change({ [name]: other }, { major: 132 }).differed[0]!.penalty, 0.3, name)
      assert.deepEqual(change({ [name]: other }).differed[0], { component: name, penalty: 1, why: 'changed' })
    }
    const noise = { canvas: { text: 'unstable', geometry: 'unstable', stable: false }, audio: 1 }
    assert.deepEqual(
      change(noise).differed.map((d) => [d.component, d.penalty]),
      [
        ['canvas', 0],
        ['audio', 0],
      ],
    )
  })

  it('math: 0.2 with a browser update, else 0.8', () => {
    assert.deepEqual(change({ math: { tan: 1 } }, { major: 132 }).differed[0], {
      component: 'math',
      penalty: 0.2,
      why: 'changed with a browser update',
    })
    assert.deepEqual(change({ math: { tan: 1 } }).differed[0], {
      component: 'math',
      penalty: 0.8,
      why: 'changed',
    })
  })

  it('screenSize: another screen costs half', () => {
    assert.equal(
      change({ screenSize: { long: 2560, short: 1440, colorDepth: 24 } }).differed[0]!.penalty,
      0.5,
    )
  })

  it('intl: a time zone alone costs 0.1 abroad, 0.4 at home; another locale 0.8', () => {
    const zone = { intl: { ...STABLE.intl, timeZone: 'Europe/Berlin' } }
    assert.equal(change(zone, { network: abroad }).differed[0]!.penalty, 0.1)
    assert.equal(change(zone).differed[0]!.penalty, 0.4)
    assert.deepEqual(change({ intl: { ...STABLE.intl, locale: 'de-DE' } }).differed[0], {
      component: 'intl',
      penalty: 0.8,
      why: 'locale changed',
    })
  })

  it('languages: 0.4 abroad, 0.7 at home', () => {
    assert.equal(change({ languages: ['de-DE'] }, { network: abroad }).differed[0]!.penalty, 0.4)
    assert.equal(change({ languages: ['de-DE'] }).differed[0]!.penalty, 0.7)
  })

  it('quick-change veto: only the components marked for it, minutes after the last visit', () => {
    const minutes = 5 / (24 * 60)
    for (const [name, value] of [
      ['screenSize', { long: 2560, short: 1440, colorDepth: 24 }],
      ['fonts', [...STABLE.fonts, 'Aptos']],
      ['math', { tan: 1 }],
    ] as const) {
      assert.equal(rule(name).quickChangeVeto, true, name)
      assert.equal(
        change({ [name]: value }, {}, minutes).veto,
        'changed within minutes: another device',
        name,
      )
    }
    assert.equal(rule('pdfViewerEnabled').quickChangeVeto, false)
    assert.equal(change({ pdfViewerEnabled: false }, {}, minutes).veto, null, 'pdfViewerEnabled')
    assert.equal(change({ webgl: { ...STABLE.webgl, vendor: 'x' } }, {}, minutes).veto, null, 'webgl details')
  })

  it('rarity: the frequency table counts the stable components marked for it, and nothing else', () => {
    const p = profile({}, { notAComponent: 1 })
    const keys = profileKeys(p).map((k) => k.split(':')[0])
    const counted = (Object.keys(STABLE) as (keyof typeof STABLE)[]).filter((n) => rule(n).rarity)
    assert.deepEqual(keys.sort(), counted.sort())
  })

  it('core: a payload without more than a quarter of the always-sent components is incomplete', () => {
    assert.equal(CORE_COMPONENTS.length, 21)
    const payload = (n: number) =>
      Object.fromEntries(CORE_COMPONENTS.slice(0, n).map((name) => [name, { value: null, duration: 1 }]))
    const incomplete = (n: number) =>
      assessBot({ userAgent: null, components: payload(n) }).reasons.some(
        (r) => r.signal === 'payload_incomplete',
      )
    assert.equal(incomplete(16), false, '16 of 21 present')
    assert.equal(incomplete(15), true, '15 of 21 present')
  })
})
