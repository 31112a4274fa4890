import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { detectIncognito } from '../../src/enrich/incognito.js'

describe('incognito', () => {
  const heap = 4_294_705_152
  it('Chromium with a memory-bound quota is a private window', () => {
    assert.equal(detectIncognito({ quota: 2_147_483_648, jsHeapSizeLimit: heap }, 'Chrome'), true)
    assert.equal(detectIncognito({ quota: 120_000_000, jsHeapSizeLimit: null }, 'Edge'), true)
  })
  it('Chromium with a disk-sized quota is a regular window', () => {
    assert.equal(detectIncognito({ quota: 296_630_877_388, jsHeapSizeLimit: heap }, 'Chrome'), false)
  })
  it('other engines, missing or hostile values: not known, so false', () => {
    assert.equal(detectIncognito({ quota: 1, jsHeapSizeLimit: heap }, 'Firefox'), false)
    assert.equal(detectIncognito({ quota: 1 }, null), false)
    for (const raw of [null, undefined, 'x', 5, { quota: 'big' }, { quota: -1 }, { quota: Number.NaN }]) {
      assert.equal(detectIncognito(raw, 'Chrome'), false)
    }
  })
})
