// Compiles src to dist (ESM, with declarations). React and the agent stay imports: the app bundles them.
import { execFileSync } from 'node:child_process'
import { rmSync } from 'node:fs'
import { createRequire } from 'node:module'

const dir = new URL('.', import.meta.url).pathname
rmSync(`${dir}dist`, { recursive: true, force: true })
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc')
execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: dir, stdio: 'inherit' })
