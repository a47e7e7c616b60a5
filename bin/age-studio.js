#!/usr/bin/env node
// The age-studio command: runs the built CLI (npm run build makes out/main/cli.js).
const { existsSync } = require('node:fs')
const { join } = require('node:path')

const cli = join(__dirname, '..', 'out', 'main', 'cli.js')
if (!existsSync(cli)) {
  process.stderr.write('age-studio: the CLI is not built yet; run `npm run build` in the Age Studio folder first.\n')
  process.exit(1)
}
require(cli)
