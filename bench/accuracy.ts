// npm run bench:accuracy [-- --config FILE] [--json] [--devices N] [--seeds 1,2,3] [--baselines | --no-baselines]
//   [--fit [--fit-cases FILE]] [--fit-from a.json,b.json] [--accept 0.9,0.99] [--from a.json,b.json]
// Simulated populations + half a year of their visits; scores our engine (the server's own assess() and
// settle() over the in-memory storage port), the oracles and the baselines against the ground truth.
import { readFileSync, writeFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { FREQUENCY_MAX_KEYS } from '../packages/server/src/identify/frequency.js'
import type { LinkModels } from '../packages/server/src/identify/links.js'
import { eckersley, exactHash, fpStalker, storageOnly } from './accuracy/baselines.js'
import { loadConfig } from './accuracy/config.js'
import {
  acceptTable,
  type FitCase,
  fitLinkModel,
  fitMatchModel,
  fitNewModel,
  fitReliability,
} from './accuracy/fit.js'
import { type AccuracyResult, runAccuracy } from './accuracy/harness.js'
import { oracles } from './accuracy/oracles.js'
import { createOurs } from './accuracy/ours.js'
import { markdown, multiSeedMarkdown } from './accuracy/report.js'
import type { Identifier } from './accuracy/types.js'

const { values } = parseArgs({
  options: {
    config: { type: 'string' },
    json: { type: 'boolean', default: false },
    devices: { type: 'string' },
    seeds: { type: 'string' },
    baselines: { type: 'boolean' },
    'no-baselines': { type: 'boolean' },
    // Report on results saved with --json (one seed per file, e.g. run in parallel).
    from: { type: 'string' },
    fit: { type: 'boolean', default: false },
    // With --fit: also write the storage-less visits' candidates and truth to FILE (to fit again offline).
    'fit-cases': { type: 'string' },
    // Fit from files written by --fit-cases (one per seed), without simulating.
    'fit-from': { type: 'string' },
    // Extra Sightline variants with another LINK_ACCEPT, for tuning (e.g. --accept 0.9,0.99,2).
    accept: { type: 'string' },
  },
})
const base = loadConfig(values.config)
if (values.devices) base.devices = Number(values.devices)
const seeds = values.seeds ? values.seeds.split(',').map(Number) : [base.seed]
// Several seeds: the published baselines are slow and far below; --baselines adds them anyway.
const withBaselines = !values['no-baselines'] && (values.baselines ?? seeds.length === 1)

if (values['fit-from']) {
  const sets = values['fit-from'].split(',').map((f) => JSON.parse(readFileSync(f, 'utf8')) as FitCase[])
  console.log(JSON.stringify(fitReport(sets), null, 2))
  process.exit(0)
}
if (values.from) {
  const saved = values.from.split(',').map((f) => JSON.parse(readFileSync(f, 'utf8')) as AccuracyResult)
  console.log(saved.length === 1 ? markdown(saved[0]!) : multiSeedMarkdown(saved))
  process.exit(0)
}
const log = values.json ? () => {} : (msg: string) => console.error(msg)
const results: AccuracyResult[] = []
const fitCases: FitCase[] = []
for (const seed of seeds) {
  const config = { ...base, seed, ...(seeds.length > 1 ? { latencySizes: [] } : {}) }
  const variants = (values.accept?.split(',') ?? []).map((a) =>
    createOurs({ name: `Sightline accept ${a}`, accept: Number(a) }),
  )
  // The link model is fitted on the strict engine (no link-accepted matches).
  const ours = createOurs(values.fit ? { accept: 2 } : {})
  const identifiers: Identifier[] = [ours, ...variants, storageOnly(), ...oracles()]
  if (withBaselines) identifiers.push(exactHash(), eckersley(), fpStalker())
  log(`seed ${seed}`)
  const r = await runAccuracy(config, identifiers, log, { fit: values.fit })
  const visitors = (await ours.store.valueCounts('bench', [])).visitors
  log(
    `frequency table: ${ours.store.frequencyKeys('bench')} keys for ${visitors} visitors (bound ${FREQUENCY_MAX_KEYS})`,
  )
  if (r.fit) fitCases.push(...r.fit)
  delete r.fit
  results.push(r)
}
if (values.fit) {
  if (values['fit-cases']) writeFileSync(values['fit-cases'], JSON.stringify(fitCases))
  console.log(JSON.stringify(fitReport([fitCases]), null, 2))
} else if (values.json) console.log(JSON.stringify(results.length === 1 ? results[0] : results, null, 2))
else if (results.length === 1) console.log(markdown(results[0]!))
else console.log(multiSeedMarkdown(results))

/**
 * Both link models fitted on every set, their reliability on the sets they were fitted on and, with
 * several sets (seeds), on each set left out of the fit: what they are worth on a population not tuned on.
 */
function fitReport(sets: FitCase[][]) {
  const all = sets.flat()
  const models = fit(all)
  return {
    models,
    visits: all.length,
    candidates: all.reduce((a, c) => a + c.features.length, 0),
    reliability: fitReliability(all, models),
    heldOut:
      sets.length > 1
        ? sets.map((held, i) => fitReliability(held, fit(sets.filter((_, j) => j !== i).flat())))
        : [],
    accept: acceptTable(all, models.link, [0.5, 0.7, 0.8, 0.9, 0.95, 0.97, 0.98, 0.99]),
  }
}

function fit(cases: FitCase[]): LinkModels {
  const link = fitLinkModel(cases)
  return { link, fresh: fitNewModel(cases, link), match: fitMatchModel(cases, link) }
}
