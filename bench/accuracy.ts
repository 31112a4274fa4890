// npm run bench:accuracy [-- --config FILE] [--json] [--devices N]
// Simulated population + half a year of visits; scores our engine (when plugged in) and the baselines.
import { parseArgs } from 'node:util'
import { eckersley, exactHash, fpStalker, storageOnly } from './accuracy/baselines.js'
import { loadConfig } from './accuracy/config.js'
import { runAccuracy } from './accuracy/harness.js'
import { createOurs } from './accuracy/ours.js'
import { markdown } from './accuracy/report.js'
import type { Identifier } from './accuracy/types.js'

const { values } = parseArgs({
  options: {
    config: { type: 'string' },
    json: { type: 'boolean', default: false },
    devices: { type: 'string' },
  },
})
const config = loadConfig(values.config)
if (values.devices) config.devices = Number(values.devices)

const identifiers: Identifier[] = []
const ours = createOurs()
if (ours) identifiers.push(ours)
identifiers.push(storageOnly(), exactHash(), eckersley(), fpStalker())

const log = values.json ? () => {} : (msg: string) => console.error(msg)
const result = await runAccuracy(config, identifiers, log)
if (values.json) console.log(JSON.stringify(result, null, 2))
else console.log(markdown(result))
