import assert from 'node:assert/strict'
import { test } from 'node:test'
import { detectFonts, FONTS, fallbackFor } from '../src/sources/fonts.js'

const BASE: Record<string, readonly [number, number]> = {
  monospace: [100, 20],
  'sans-serif': [90, 20],
  serif: [80, 20],
}

/** A fake layout: installed fonts render 1px wider (or, for 'Tall', taller) than the fallback. */
const fakeMeasure =
  (installed: string[]) =>
  (family: string): readonly [number, number] => {
    const [, font, base] = /^'(.+)',(.+)$/.exec(family) ?? ['', undefined, family]
    const [w, h] = BASE[base!]!
    if (!font || !installed.includes(font)) return [w, h]
    return font === 'Tall' ? [w, h + 2] : [w + 1, h]
  }

test('detectFonts keeps fonts whose size differs from a fallback, in list order', () => {
  assert.deepEqual(detectFonts(['A', 'Tall', 'B', 'C'], fakeMeasure(['C', 'Tall', 'A'])), ['A', 'Tall', 'C'])
  assert.deepEqual(detectFonts(['A', 'B'], fakeMeasure([])), [])
})

test('each font is compared with the generic family least like it, so the default font of a family is found', () => {
  // A system whose default monospace font is Source Code Pro and whose default sans-serif is Roboto:
  // each renders exactly like that fallback, and unlike the other.
  const measure = (family: string): readonly [number, number] => {
    const [, font, base] = /^'(.+)',(.+)$/.exec(family) ?? ['', undefined, family]
    if (font === 'Source Code Pro') return BASE.monospace!
    if (font === 'Roboto') return BASE['sans-serif']!
    return BASE[base!]!
  }
  assert.equal(fallbackFor('Source Code Pro'), 'sans-serif')
  assert.equal(fallbackFor('Roboto'), 'monospace')
  assert.deepEqual(detectFonts(['Roboto', 'Source Code Pro', 'Absent'], measure), [
    'Roboto',
    'Source Code Pro',
  ])
})

test('font list is curated: ~50 unique names, no quotes', () => {
  assert.ok(FONTS.length >= 45 && FONTS.length <= 60)
  assert.equal(new Set(FONTS).size, FONTS.length)
  for (const f of FONTS) assert.doesNotMatch(f, /['",]/)
})
