// Bundles the agent: dist/agent.js (IIFE, global `Sightline`), dist/esm/{index,stable,components}.js and
// dist/cjs/{index,stable,components}.js, then its types: dist/types (ESM), the same beside the CommonJS build (a
// nested package.json makes both the .js and the .d.ts there CommonJS), and dist/global.d.ts for pages
// that use the script tag's global.
import { execFileSync } from 'node:child_process'
import { cpSync, rmSync, writeFileSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { gzipSync } from 'node:zlib'
import { build } from 'esbuild'

const dir = new URL('.', import.meta.url).pathname
const common = {
  absWorkingDir: dir,
  bundle: true,
  minify: true,
  target: 'es2017',
  legalComments: 'none',
  logLevel: 'warning',
}

const ENTRIES = ['src/index.ts', 'src/stable.ts', 'src/components.ts']

rmSync(`${dir}dist`, { recursive: true, force: true })
await Promise.all([
  build({
    ...common,
    entryPoints: ['src/index.ts'],
    outfile: 'dist/agent.js',
    format: 'iife',
    globalName: 'Sightline',
  }),
  build({ ...common, entryPoints: ENTRIES, outdir: 'dist/esm', format: 'esm' }),
  build({ ...common, entryPoints: ENTRIES, outdir: 'dist/cjs', format: 'cjs' }),
])

const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc')
execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: dir, stdio: 'inherit' })
cpSync(`${dir}dist/types`, `${dir}dist/cjs`, { recursive: true })
writeFileSync(`${dir}dist/cjs/package.json`, '{ "type": "commonjs" }\n')
writeFileSync(
  `${dir}dist/global.d.ts`,
  `// The global that <script src=".../agent.js"> defines: /// <reference types="@sightline/agent/global" />
import type * as Agent from './types/index.js'
declare global {
  const Sightline: typeof Agent
}
`,
)

for (const file of [
  'dist/agent.js',
  'dist/esm/index.js',
  'dist/esm/stable.js',
  'dist/esm/components.js',
  'dist/cjs/index.js',
]) {
  const code = await readFile(`${dir}${file}`)
  console.log(
    `${file.padEnd(20)} ${(code.length / 1024).toFixed(1)} KB, ${(gzipSync(code, { level: 9 }).length / 1024).toFixed(2)} KB gzip`,
  )
}
