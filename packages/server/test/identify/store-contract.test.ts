// One contract for the storage port (identify/port.ts), run on the in-memory store that tests and
// bench:accuracy use and on the Kysely store over real SQLite and PostgreSQL.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { MemoryIdentityStore, pruneCounts } from '../../src/identify/memory-store.js'
import type { IdentityStore } from '../../src/identify/port.js'
import { buildProfile, type StoredProfile } from '../../src/identify/profile.js'
import { createApp } from '../../src/store/apps.js'
import type { Db } from '../../src/store/db.js'
import { KyselyIdentityStore, pruneValueCounts, readValueCounts } from '../../src/store/identity.js'
import { migrateToLatest } from '../../src/store/migrations.js'
import { DIALECTS, dialectName, openTestDb } from '../helpers.js'

const T0 = Date.UTC(2026, 5, 1) * 1000
const MIN = 60_000_000
const DAY = 86_400_000_000

function profile(fp: string, ts: number, over: Record<string, unknown> = {}): StoredProfile {
  const components = Object.fromEntries(
    Object.entries({ fonts: ['Arial'], screenSize: [1920, 1080], webgl: { renderer: 'r' }, ...over }).map(
      ([k, value]) => [k, { value }],
    ),
  )
  return buildProfile({
    components,
    stableNames: ['fonts', 'screenSize', 'webgl', 'languages'],
    fingerprint: fp,
    browser: 'Chrome',
    majorVersion: '140',
    os: 'Windows',
    ip: '203.0.113.7',
    asn: 64500,
    country: 'DE',
    ts,
  })
}

interface Subject {
  name: string
  open(): Promise<{ store: IdentityStore; appId: string; close(): Promise<void> }>
}

const subjects: Subject[] = [
  {
    name: 'in memory',
    async open() {
      return { store: new MemoryIdentityStore(), appId: 'app', close: async () => {} }
    },
  },
  ...DIALECTS.map((d) => ({
    name: dialectName(d),
    async open() {
      const db: Db = await openTestDb(d)
      await migrateToLatest(db.kysely)
      const appId = (await createApp(db.kysely, { name: 'Contract' })).id
      return { store: new KyselyIdentityStore(db.kysely), appId, close: () => db.close() }
    },
  })),
]

for (const subject of subjects) {
  describe(`identity store contract (${subject.name})`, () => {
    let s: Awaited<ReturnType<Subject['open']>>
    before(async () => {
      s = await subject.open()
    })
    after(() => s?.close())

    it('an unknown visitor is undefined, and cannot be locked', async () => {
      assert.equal(await s.store.loadProfile(s.appId, 'nobody'), undefined)
      assert.equal(await s.store.lockVisitor(s.appId, 'nobody'), false)
    })

    it('remembers profiles; exact candidates come newest first, at most 10', async () => {
      for (let i = 0; i < 12; i++) {
        await s.store.remember(s.appId, `twin${i}`, profile('fp-twins', T0 + i * MIN), null, T0 + i * MIN)
      }
      const exact = await s.store.exactCandidates(s.appId, 'fp-twins')
      assert.deepEqual(
        exact.map((c) => c.visitorId),
        Array.from({ length: 10 }, (_, i) => `twin${11 - i}`),
      )
      assert.equal(exact[0]!.profile?.seenAt, T0 + 11 * MIN)
      assert.equal((await s.store.loadProfile(s.appId, 'twin3'))?.seenAt, T0 + 3 * MIN)
      assert.equal(await s.store.lockVisitor(s.appId, 'twin3'), true)
    })

    it('a visitor whose fingerprint changed is found by the parts it kept', async () => {
      const before = profile('fp-a', T0)
      await s.store.remember(s.appId, 'mover', before, null, T0)
      const after = profile('fp-b', T0 + 2 * DAY, { fonts: ['Arial', 'Calibri'] })
      await s.store.remember(s.appId, 'mover', after, before, T0 + 2 * DAY)
      assert.deepEqual(
        (await s.store.exactCandidates(s.appId, 'fp-b')).map((c) => c.visitorId),
        ['mover'],
      )
      const similar = await s.store.similarCandidates(
        s.appId,
        profile('fp-c', T0, { fonts: ['Comic'] }).parts,
      )
      assert.ok(similar.some((c) => c.visitorId === 'mover'))
      assert.equal((await s.store.loadProfile(s.appId, 'mover'))?.fingerprint, 'fp-b')
    })

    it('claims: a racing second claim joins the first; an old claim is taken over', async () => {
      assert.equal(await s.store.claim(s.appId, 'fp|1.2.3.4', 'first', T0), 'first')
      assert.equal(await s.store.claim(s.appId, 'fp|1.2.3.4', 'second', T0 + 1000), 'first')
      assert.equal(await s.store.claim(s.appId, 'fp|1.2.3.4', 'later', T0 + 2 * MIN), 'later')
    })

    it('counts visitors per value; unknown keys are absent', async () => {
      await s.store.countValues(s.appId, ['fonts:a', 'screen:b'], true, T0)
      await s.store.countValues(s.appId, ['fonts:a'], true, T0 + 1)
      await s.store.countValues(s.appId, ['screen:c'], false, T0 + 2)
      const c = await s.store.valueCounts(s.appId, ['fonts:a', 'screen:b', 'screen:c', 'none:x'])
      assert.equal(c.visitors, 2)
      assert.deepEqual([...c.counts].sort(), [
        ['fonts:a', 2],
        ['screen:b', 1],
        ['screen:c', 1],
      ])
    })
  })
}

describe('frequency tables stay bounded', () => {
  it('in memory: the rarest keys go first', () => {
    const m = new Map<string, number>([
      ['common', 50],
      ['rare1', 1],
      ['rare2', 1],
      ['mid', 5],
    ])
    pruneCounts(m, 3)
    assert.deepEqual([...m.keys()].sort(), ['common', 'mid'])
  })
  for (const d of DIALECTS) {
    it(`${dialectName(d)}: pruning keeps the frequent keys and the visitor total`, async () => {
      const db = await openTestDb(d)
      try {
        await migrateToLatest(db.kysely)
        const appId = (await createApp(db.kysely, { name: 'Prune' })).id
        const store = new KyselyIdentityStore(db.kysely)
        for (let i = 0; i < 3; i++) await store.countValues(appId, ['common'], true, T0 + i)
        for (let i = 0; i < 20; i++) await store.countValues(appId, [`rare${i}`], false, T0 + 10 + i)
        const deleted = await pruneValueCounts(db.kysely, appId, 10)
        assert.ok(deleted >= 12, `deleted ${deleted}`)
        const c = await readValueCounts(db.kysely, appId, ['common', 'rare19', 'rare0'])
        assert.equal(c.visitors, 3)
        assert.equal(c.counts.get('common'), 3)
        assert.equal(c.counts.has('rare0'), false)
      } finally {
        await db.close()
      }
    })
  }
})
