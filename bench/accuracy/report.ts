import type { AccuracyResult, MethodMetrics, Reliability } from './harness.js'
import { EVENT_TYPES } from './harness.js'

const p = (x: number, d = 2) => `${(x * 100).toFixed(d)}`
const f = (x: number, d = 1) => x.toFixed(d)

/** The results as markdown: calibration, the method table with targets, per-event table. */
export function markdown(r: AccuracyResult): string {
  const c = r.calibration
  const out: string[] = []
  out.push('## Population', '')
  out.push(
    `${r.population.devices} devices, ${r.population.browsers} browsers (${r.population.cloneGroupBrowsers} in clone groups), ${r.population.visits} visits over ${r.config.days} days from ${r.config.start}, seed ${r.config.seed}.`,
    '',
  )
  out.push('| exact fingerprint at first visit | desktop | mobile | target (Gómez-Boix et al. 2018) |')
  out.push('| --- | --- | --- | --- |')
  out.push(`| browsers | ${c.desktopBrowsers} | ${c.mobileBrowsers} | |`)
  out.push(`| unique | ${p(c.desktopUnique, 1)}% | ${p(c.mobileUnique, 1)}% | ~35% / ~18% |`)
  out.push(
    `| largest anonymity set | ${p(c.desktopLargestSet, 2)}% | ${p(c.mobileLargestSet, 2)}% | ~0.1% / ~5% |`,
  )
  out.push(
    `| popular-configuration share (calibrated) | ${f(c.desktopPopular, 3)} | ${f(c.mobilePopular, 3)} | |`,
    '',
  )
  out.push(
    `Events: ${EVENT_TYPES.map((e) => `${e} ${r.population.eventCounts[e] ?? 0}`).join(', ')}.`,
    '',
    `Ideal tracking (one id per browser for its whole observed life): mean ${f(r.ideal.trackingMeanDays)} days over browsers with ≥ 2 visits; ${r.ideal.browsersOver100Days} browsers observed for more than 100 days.`,
    '',
    `Ambiguity: ${p(r.ambiguity.withoutStoredId)}% of visits come back without a stored identifier; ${p(r.ambiguity.indistinguishable)}% of all visits also come from an address new to the browser with an exact fingerprint that another browser of the same network presented in the previous 30 days. The ceilings are the oracles' rows below.`,
    '',
  )
  out.push('## Results', '')
  out.push(
    '| method | false merges % (outside clone groups) | false merges % (within clone groups) | ownership | ids/browser mean | ids/browser p95 | visit-level correct % | tracking mean d | tracking max d | > 100 d % | p50 µs | p99 µs |',
  )
  out.push('| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |')
  out.push(
    '| **target (ours)** | ≤ 0.1 | — | ≥ 0.995 | — | — | ≥ 99.5 | ≫ 54.5 (FP-Stalker) | — | — | — | — |',
  )
  for (const m of r.methods) {
    out.push(
      `| ${m.name} | ${p(m.falseMergeOutside)} | ${p(m.falseMergeWithin)} | ${m.ownership.toFixed(4)} | ${f(m.idsPerBrowserMean, 2)} | ${m.idsPerBrowserP95} | ${p(m.visitCorrect)} | ${f(m.trackingMeanDays)} | ${f(m.trackingMaxDays)} | ${p(m.trackedBeyond100, 1)} | ${f(m.latencyP50us)} | ${f(m.latencyP99us)} |`,
    )
  }
  const sized = r.methods.filter((m) => m.latencyAtSize.length)
  if (sized.length) {
    out.push('', '| method | stored visits | p50 µs | p99 µs |', '| --- | --- | --- | --- |')
    for (const m of sized)
      for (const s of m.latencyAtSize) out.push(`| ${m.name} | ${s.size} | ${f(s.p50us)} | ${f(s.p99us)} |`)
  }
  out.push('', '## Per event type: visit-level correct % / id kept from the previous visit %', '')
  out.push(`| event | visits | ${r.methods.map((m) => m.name).join(' | ')} |`)
  out.push(`| --- | --- | ${r.methods.map(() => '---').join(' | ')} |`)
  for (const e of EVENT_TYPES) {
    const n = r.methods[0]?.perEvent[e]?.visits ?? 0
    out.push(
      `| ${e} | ${n} | ${r.methods
        .map((m) => {
          const x = m.perEvent[e]!
          return `${p(x.correct, 1)} / ${x.kept === null ? '—' : p(x.kept, 1)}`
        })
        .join(' | ')} |`,
    )
  }
  out.push('', ...ceilings(r.methods), '', ...linkSection(r.methods))
  out.push(
    '',
    `Run time: ${f(r.seconds.total)} s (population + calibration ${f(r.seconds.population)} s, visits ${f(r.seconds.simulation)} s, metrics ${f(r.seconds.metrics)} s, latency at size ${f(r.seconds.latencyAtSize)} s).`,
  )
  return out.join('\n')
}

const OURS = 'Sightline'
const STORAGE = 'storage only'
const isOracle = (m: MethodMetrics) => m.name.startsWith('oracle:')

/** Each method's share of each oracle's gain over storage only (visit-level correct). */
export function gains(methods: MethodMetrics[]): { method: string; oracle: string; share: number }[] {
  const storage = methods.find((m) => m.name === STORAGE)
  if (!storage) return []
  const out: { method: string; oracle: string; share: number }[] = []
  for (const m of methods) {
    if (isOracle(m) || m === storage) continue
    for (const o of methods.filter(isOracle)) {
      const gain = o.visitCorrect - storage.visitCorrect
      out.push({
        method: m.name,
        oracle: o.name,
        share: gain > 0 ? (m.visitCorrect - storage.visitCorrect) / gain : 0,
      })
    }
  }
  return out
}

function ceilings(methods: MethodMetrics[]): string[] {
  const g = gains(methods)
  const os = methods.filter(isOracle)
  if (!os.length) return []
  const out = ["## Ceilings: share of each oracle's gain over storage only (visit-level correct)", '']
  out.push(`| method | ${os.map((o) => `${o.name} (${p(o.visitCorrect)}%)`).join(' | ')} |`)
  out.push(`| --- | ${os.map(() => '---').join(' | ')} |`)
  for (const name of [...new Set(g.map((x) => x.method))])
    out.push(
      `| ${name} | ${os.map((o) => p(g.find((x) => x.method === name && x.oracle === o.name)!.share, 1) + '%').join(' | ')} |`,
    )
  return out
}

export function reliabilityTable(title: string, r: Reliability): string[] {
  const out = [
    `${title}: Brier ${r.brier.toFixed(4)} over ${r.n}`,
    '',
    '| bucket | n | mean p | observed | gap |',
    '| --- | --- | --- | --- | --- |',
  ]
  r.buckets.forEach((b, i) => {
    if (b.n)
      out.push(
        `| ${(i / 10).toFixed(1)}–${((i + 1) / 10).toFixed(1)} | ${b.n} | ${b.meanP.toFixed(3)} | ${b.observed.toFixed(3)} | ${(b.observed - b.meanP).toFixed(3)} |`,
      )
  })
  return out
}

function linkSection(methods: MethodMetrics[]): string[] {
  const out: string[] = []
  for (const m of methods) {
    if (m.links) {
      const l = m.links
      out.push(`## ${m.name}: probable links`, '')
      out.push(
        `Storage-less visits of a browser seen before: ${l.returns}. recall@3 ${p(l.recall3, 1)}% (desktop ${p(l.recall3Desktop, 1)}%, mobile ${p(l.recall3Mobile, 1)}%); over the ${l.perfectLinkable} the perfect oracle links: ${p(l.recall3OfPerfect, 1)}%.`,
        '',
        ...reliabilityTable('Candidates', l.calibration),
        '',
      )
    }
    if (m.answers) out.push(...reliabilityTable(`## ${m.name}: confidence.score`, m.answers), '')
  }
  return out
}

// Student t quantile (0.95) for a two-sided 90% interval, by degrees of freedom.
const T95 = [6.314, 2.92, 2.353, 2.132, 2.015, 1.943, 1.895, 1.86, 1.833, 1.812]
/** Mean and 90% interval over seeds. */
export function interval(xs: number[]): { mean: number; lo: number; hi: number } {
  const n = xs.length
  const mean = xs.reduce((a, b) => a + b, 0) / n
  if (n < 2) return { mean, lo: mean, hi: mean }
  const sd = Math.sqrt(xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (n - 1))
  const h = (T95[Math.min(n - 2, T95.length - 1)]! * sd) / Math.sqrt(n)
  return { mean, lo: mean - h, hi: mean + h }
}

const pooled = (rs: Reliability[]): Reliability => {
  const buckets = Array.from({ length: 10 }, (_, i) => {
    const n = rs.reduce((a, r) => a + r.buckets[i]!.n, 0)
    const w = (k: 'meanP' | 'observed') =>
      rs.reduce((a, r) => a + r.buckets[i]!.n * r.buckets[i]![k], 0) / Math.max(1, n)
    return { n, meanP: w('meanP'), observed: w('observed') }
  })
  const n = rs.reduce((a, r) => a + r.n, 0)
  return { buckets, n, brier: rs.reduce((a, r) => a + r.brier * r.n, 0) / Math.max(1, n) }
}

/** Several seeds (each a different population): per-seed figures, then mean and 90% interval. */
export function multiSeedMarkdown(rs: AccuracyResult[]): string {
  const out: string[] = []
  const names = rs[0]!.methods.map((m) => m.name)
  const metric = (name: string, get: (m: MethodMetrics) => number | undefined) =>
    rs.map((r) => get(r.methods.find((m) => m.name === name)!)).filter((x): x is number => x !== undefined)
  const ci = (xs: number[], scale = 100, d = 2) => {
    const c = interval(xs)
    return `${(c.mean * scale).toFixed(d)} [${(c.lo * scale).toFixed(d)}, ${(c.hi * scale).toFixed(d)}]`
  }
  out.push(
    `## ${rs.length} seeds (${rs.map((r) => r.config.seed).join(', ')}), ${rs[0]!.config.devices} devices each`,
    '',
    `Visits per seed: ${rs.map((r) => r.population.visits).join(', ')}. Means with 90% intervals (Student t over seeds).`,
    '',
    '| method | visit-level correct % | false merges % outside clone groups | ownership | ids/browser |',
    '| --- | --- | --- | --- | --- |',
  )
  for (const n of names)
    out.push(
      `| ${n} | ${ci(metric(n, (m) => m.visitCorrect))} | ${ci(metric(n, (m) => m.falseMergeOutside))} | ${ci(
        metric(n, (m) => m.ownership),
        1,
        4,
      )} | ${ci(
        metric(n, (m) => m.idsPerBrowserMean),
        1,
      )} |`,
    )
  out.push(
    '',
    "### Share of each oracle's gain over storage only",
    '',
    '| method | oracle | share % |',
    '| --- | --- | --- |',
  )
  const gs = rs.map((r) => gains(r.methods))
  for (const g of gs[0]!)
    out.push(
      `| ${g.method} | ${g.oracle} | ${ci(
        gs.map((x) => x.find((y) => y.method === g.method && y.oracle === g.oracle)!.share),
        100,
        1,
      )} |`,
    )
  const ours = rs.map((r) => r.methods.find((m) => m.name === OURS)!)
  if (ours[0]?.links) {
    const l = ours.map((m) => m.links!)
    out.push(
      '',
      '### Probable links',
      '',
      `| metric | mean [90% interval] |`,
      '| --- | --- |',
      `| recall@3, storage-less returns | ${ci(
        l.map((x) => x.recall3),
        100,
        1,
      )} |`,
      `| recall@3, desktop | ${ci(
        l.map((x) => x.recall3Desktop),
        100,
        1,
      )} |`,
      `| recall@3, mobile | ${ci(
        l.map((x) => x.recall3Mobile),
        100,
        1,
      )} |`,
      `| recall@3 over what the perfect oracle links | ${ci(
        l.map((x) => x.recall3OfPerfect),
        100,
        1,
      )} |`,
      `| Brier, candidates | ${ci(
        l.map((x) => x.calibration.brier),
        1,
        4,
      )} |`,
      `| Brier, answers (confidence.score) | ${ci(
        ours.map((m) => m.answers!.brier),
        1,
        4,
      )} |`,
      '',
      ...reliabilityTable('Candidates, pooled over seeds', pooled(l.map((x) => x.calibration))),
      '',
      ...reliabilityTable(
        'Answers (confidence.score), pooled over seeds',
        pooled(ours.map((m) => m.answers!)),
      ),
    )
  }
  out.push(
    '',
    '### Per seed',
    '',
    `| seed | ${names.join(' | ')} |`,
    `| --- | ${names.map(() => '---').join(' | ')} |`,
  )
  for (const r of rs)
    out.push(`| ${r.config.seed} | ${r.methods.map((m) => p(m.visitCorrect)).join(' | ')} |`)
  out.push('', `Run time: ${rs.map((r) => f(r.seconds.total)).join(' + ')} s.`)
  return out.join('\n')
}
