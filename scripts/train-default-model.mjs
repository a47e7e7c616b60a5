#!/usr/bin/env node
// The recipe of the shipped model (resources/models/README.md), from scratch: a bin-balanced
// sample of UTKFace imported into a data folder of its own, one training run, its evaluation on
// the held-out split, and the bundle and default.json written into resources/models.
//
//   npm run train:default -- [--utkface DIR] [--home DIR] [--per-bin N] [--backend torch-cpu|torch-cuda]
//                            [--steps N] [--encoder-steps N] [--skip-import]
//
// Every step goes through the studio's own CLI, so what it does is what a user can do by hand.
import { spawnSync } from 'node:child_process'
import { copyFileSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'

const ROOT = resolve(import.meta.dirname, '..')
const { values } = parseArgs({
  options: {
    utkface: { type: 'string', default: join(ROOT, '..', 'shared', 'datasets', 'utkface') },
    home: { type: 'string', default: join(ROOT, '..', 'default-model-home') },
    'per-bin': { type: 'string', default: '1300' },
    backend: { type: 'string', default: 'torch-cpu' },
    steps: { type: 'string', default: '4500' },
    'encoder-steps': { type: 'string', default: '3000' },
    'skip-import': { type: 'boolean', default: false },
  },
})
const home = resolve(values.home)
const NAME = 'Default (UTKFace, 64 px)'
const FILE = 'default-utkface-64.agemodel'

function cli(...args) {
  console.error(`$ age-studio ${args.join(' ')}`)
  const result = spawnSync(process.execPath, [join(ROOT, 'bin', 'age-studio.js'), '--home', home, ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
  })
  if (result.status !== 0) throw new Error(`age-studio ${args[0]} failed (exit ${result.status})`)
  return result.stdout
}

/** UTKFace names its files AGE_GENDER_RACE_DATE.jpg.chip.jpg: at most N per Age-cGAN bin, chosen by a seeded shuffle. */
function sample(dir, perBin) {
  const bin = (age) => (age <= 18 ? 0 : age <= 29 ? 1 : age <= 39 ? 2 : age <= 49 ? 3 : age <= 59 ? 4 : 5)
  const bins = [[], [], [], [], [], []]
  for (const name of readdirSync(dir).sort()) {
    const age = Number(name.split('_')[0])
    if (name.split('_').length >= 4 && Number.isInteger(age)) bins[bin(age)].push(name)
  }
  let seed = 20261202
  const random = () => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32
  return bins.flatMap((names) => {
    for (let i = names.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1))
      ;[names[i], names[j]] = [names[j], names[i]]
    }
    return names.slice(0, perBin)
  })
}

spawnSync('npm', ['run', 'build'], { cwd: ROOT, stdio: 'inherit' })
mkdirSync(home, { recursive: true })
if (!values['skip-import']) {
  // A copy of the sample, outside the repository (UTKFace is non-commercial research data).
  const folder = join(home, 'utkface-sample')
  mkdirSync(folder, { recursive: true })
  const names = sample(values.utkface, Number(values['per-bin']))
  for (const name of names) copyFileSync(join(values.utkface, name), join(folder, name))
  console.error(`${names.length} faces sampled; importing (about 2.7 faces/s on 2 cores)`)
  cli('import', folder, '--format', 'utkface', '--dataset', 'utkface-sample')
}
const trained = JSON.parse(
  cli(
    'train',
    '--preset',
    'compact',
    '--backend',
    values.backend,
    '--framing',
    'face',
    '--diff-augment',
    '--balance',
    '--label-smoothing',
    '0.1',
    '--batch',
    '32',
    '--seed',
    '1',
    '--steps',
    values.steps,
    '--encoder-steps',
    values['encoder-steps'],
    '--sample-every',
    '100',
    '--checkpoint-every',
    '500',
    '--json',
  ),
)
if (trained.status !== 'done') throw new Error(`the run stopped: ${trained.status}`)
console.log(cli('eval', '--run', trained.runId, '--split', 'val', '--n', '50', '--iterations', '30'))
const bundle = join(ROOT, 'resources', 'models', FILE)
const exported = JSON.parse(cli('export-model', '--run', trained.runId, '--out', bundle, '--force', '--json'))
// export-model reports the file's sha256 and the networks' hash: default.json takes both as they are.
const { sha256, modelHash } = exported
writeFileSync(join(ROOT, 'resources', 'models', 'default.json'), `${JSON.stringify({ name: NAME, file: FILE, sha256, modelHash }, null, 2)}\n`)
console.log(`${bundle}: sha256 ${sha256}, model hash ${modelHash}. Put both, and the table above, in resources/models/README.md.`)
