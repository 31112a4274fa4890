#!/usr/bin/env node
// The `sightline` command. npm links a package's bins when it installs it, which in a clone of the
// repository is before `npm run build` has written dist/; this file exists from the start, so the link
// does too, and `npx sightline` never falls through to the npm registry.
import { existsSync } from 'node:fs'

const cli = new URL('../dist/cli.js', import.meta.url)
if (!existsSync(cli)) {
  process.stderr.write(
    'sightline: the server is not built yet (no dist/cli.js).\n' +
      'In a clone of the repository run `npm run build` (or `npm start`) first.\n',
  )
  process.exit(1)
}
await import(cli.href)
