// Bundles the agent: dist/agent.js (IIFE, global `Sightline`) and dist/esm/{index,stable}.js.
import { rmSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
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

rmSync(`${dir}dist`, { recursive: true, force: true })
await Promise.all([
  build({
    ...common,
    entryPoints: ['src/index.ts'],
    outfile: 'dist/agent.js',
    format: 'iife',
    globalName: 'Sightline',
  }),
  build({ ...common, entryPoints: ['src/index.ts', 'src/stable.ts'], outdir: 'dist/esm', format: 'esm' }),
])

for (const file of ['dist/agent.js', 'dist/esm/index.js', 'dist/esm/stable.js']) {
  const code = await readFile(`${dir}${file}`)
  console.log(
    `${file.padEnd(20)} ${(code.length / 1024).toFixed(1)} KB, ${(gzipSync(code, { level: 9 }).length / 1024).toFixed(2)} KB gzip`,
  )
}
