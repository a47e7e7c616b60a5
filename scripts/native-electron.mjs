#!/usr/bin/env node
// Builds better-sqlite3 for Electron's ABI into .native/electron-<version>-<arch>/, apart from
// the Node build in node_modules that the CLI, web mode and tests use, so `npm start` and
// `npm test` never break each other. The Electron main process loads it via `nativeBinding`.
// Tries Electron's prebuilt binary first (as electron-rebuild does), then a source build
// against Electron's headers. Both need the network once; after that it is a no-op.
import { execFileSync } from 'node:child_process'
import { copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, sep } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const require = createRequire(join(root, 'package.json'))
const version = JSON.parse(readFileSync(require.resolve('electron/package.json'), 'utf8')).version
const arch = process.env.npm_config_arch || process.arch
const target = join(root, '.native', `electron-${version}-${arch}`, 'better_sqlite3.node')

if (existsSync(target) && !process.argv.includes('--force')) {
  console.log(`better-sqlite3 for Electron ${version} is ready: ${target}`)
  process.exit(0)
}

const source = dirname(require.resolve('better-sqlite3/package.json'))
const work = join(root, '.native', 'build-better-sqlite3')
rmSync(work, { recursive: true, force: true })
cpSync(source, work, { recursive: true, filter: (path) => !path.startsWith(join(source, 'build') + sep) && path !== join(source, 'build') })

const run = (command, args) => execFileSync(command, args, { cwd: work, stdio: 'inherit' })
try {
  run(process.execPath, [require.resolve('prebuild-install/bin.js'), '--runtime', 'electron', '--target', version, '--arch', arch])
} catch {
  console.log('No prebuilt better-sqlite3 for this Electron; building it from source against Electron headers.')
  const gyp = process.env.npm_config_node_gyp
  try {
    const args = ['rebuild', '--release', `--target=${version}`, `--arch=${arch}`, '--dist-url=https://electronjs.org/headers']
    if (gyp) run(process.execPath, [gyp, ...args])
    else run('npx', ['--no-install', 'node-gyp', ...args])
  } catch {
    console.error(
      `Could not build better-sqlite3 for Electron ${version}: both the prebuilt download and the source build (which needs Electron's headers) failed. Check the network and a C++ toolchain, then run \`npm run native:electron\` again.`,
    )
    process.exit(1)
  }
}
mkdirSync(dirname(target), { recursive: true })
copyFileSync(join(work, 'build', 'Release', 'better_sqlite3.node'), target)
rmSync(work, { recursive: true, force: true })
console.log(`better-sqlite3 for Electron ${version}: ${target}`)
