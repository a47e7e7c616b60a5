#!/usr/bin/env node
// Builds the optional native BLAS kernels (native/blas) with node-gyp. Never fails the install:
// without a system BLAS the studio runs on tfjs's plain CPU kernels and says so.
import { execFileSync } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const dir = join(dirname(fileURLToPath(import.meta.url)), '..', 'native', 'blas')
const gyp = process.env.npm_config_node_gyp
const args = ['rebuild', '--release']
if (process.env.npm_config_nodedir) args.push(`--nodedir=${process.env.npm_config_nodedir}`)
try {
  if (gyp) execFileSync(process.execPath, [gyp, ...args], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] })
  else execFileSync('npx', ['--no-install', 'node-gyp', ...args], { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] })
  console.log('Age Studio: built the fast CPU kernels (native/blas).')
} catch (error) {
  const detail =
    String(error.stderr ?? error.message)
      .split('\n')
      .find((line) => /error/i.test(line)) ?? ''
  console.warn(
    "Age Studio: the fast CPU kernels (native/blas) did not build, so training on the CPU will use tfjs's plain, slow kernels. " +
      'Install a BLAS (Debian/Ubuntu: apt-get install libopenblas-dev) and run `npm run build:native`.' +
      (detail ? `\n  ${detail.trim()}` : ''),
  )
}
