/**
 * `npm run bench [-- --preset tiny|compact|paper]`, `npm run bench -- --near-duplicates DIR` for the
 * near-duplicate hash on a folder of photos, or `npm run bench -- --calibrate-judges HOME` for the
 * evaluation's judges on an imported catalog (`--evaluation` times only the evaluation, `--refine` profiles one
 * identity-refinement step, `--targets` prints issue 16's table as the studio runs it): prints the numbers behind the studio's speed
 * targets. Numbers only, no pass/fail: these machines are noisy, so tests never assert timings.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { BIN_COUNT } from '../shared/ageBins'
import { createHandlers } from '../engine/api/handlers'
import { PRESET_NAMES, type PresetName } from '../shared/training'
import { Studio } from '../engine/studio'
import { backendLadder } from '../engine/training/backendLadder'
import { torchBackendStatuses } from '../engine/torch/python'
import { benchImports } from './imports'
import { benchNearDuplicates } from './nearDuplicates'
import { calibrateJudges } from './judgeCalibration'
import { benchAging } from './aging'
import { benchEvaluation } from './evaluation'
import { profileRefinement } from './refineProfile'
import { benchTargets } from './targets'
import { benchRefineQuality } from './refineQuality'
import { benchConvolutions, benchTorchStep, benchTrainingStep, trainingBackends } from './training'

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const start = performance.now()
  const result = await fn()
  return [result, (performance.now() - start) / 1000]
}

async function benchCatalog(): Promise<void> {
  const home = mkdtempSync(join(tmpdir(), 'age-studio-bench-'))
  const studio = Studio.open(home, { mode: 'cli' })
  const handlers = createHandlers(studio)
  try {
    const count = 600
    const [, demoSeconds] = await timed(() => handlers['library.createDemo']({ count, seed: 7 }))
    console.log(`demo dataset: ${count} faces in ${demoSeconds.toFixed(2)} s = ${(count / demoSeconds).toFixed(1)} faces/s`)
    const pages = 50
    const [, listSeconds] = await timed(async () => {
      for (let i = 0; i < pages; i++) await handlers['library.list']({ bin: i % BIN_COUNT, status: 'all', sort: 'imported', offset: 0, limit: 100 })
    })
    console.log(`library.list: ${((listSeconds / pages) * 1000).toFixed(1)} ms per page of 100 (with thumbnails)`)
  } finally {
    await studio.close()
    rmSync(home, { recursive: true, force: true })
  }
}

async function main() {
  const { values } = parseArgs({
    options: {
      preset: { type: 'string', multiple: true },
      'near-duplicates': { type: 'string' },
      'calibrate-judges': { type: 'string' },
      evaluation: { type: 'boolean' },
      refine: { type: 'boolean' },
      targets: { type: 'boolean' },
      'refine-quality': { type: 'string' },
      run: { type: 'string' },
      faces: { type: 'string' },
      split: { type: 'string' },
    },
    strict: true,
  })
  if (values['near-duplicates']) {
    for (const line of await benchNearDuplicates(values['near-duplicates'])) console.log(line)
    return
  }
  if (values['refine-quality']) {
    if (!values.run) throw new Error('--refine-quality HOME needs --run RUN_ID (a trained run of that home).')
    for (const line of await benchRefineQuality(values['refine-quality'], values.run, Number(values.faces ?? 50), values.split === 'test' ? 'test' : 'val'))
      console.log(line)
    return
  }
  if (values['calibrate-judges']) {
    for (const line of await calibrateJudges(values['calibrate-judges'])) console.log(line)
    return
  }
  const presets = (values.preset ?? [...PRESET_NAMES].reverse()) as PresetName[]
  for (const name of presets) if (!PRESET_NAMES.includes(name)) throw new Error(`Unknown preset ${name}; use ${PRESET_NAMES.join(', ')}.`)
  if (values.evaluation) {
    for (const line of await benchEvaluation(presets)) console.log(line)
    return
  }
  if (values.targets) {
    for (const name of presets) for (const line of await benchTargets(name)) console.log(line)
    return
  }
  if (values.refine) {
    for (const name of presets) for (const line of await profileRefinement(name)) console.log(line)
    return
  }

  console.log('backends:')
  for (const b of await backendLadder()) console.log(`  ${b.name}: ${b.available ? 'available' : 'unavailable'} (${b.detail})`)
  // Training first, in a fresh process: the face models the later benchmarks load change the heap.
  console.log('training, one D + G step at batch 32 (best and median of 3 rounds; this machine is noisy):')
  for (const name of presets) {
    for (const backend of trainingBackends()) {
      // The plain JavaScript kernels need minutes per paper step; time them on tiny only.
      if (backend === 'cpu' && name !== 'tiny') {
        console.log(`  ${name} on ${backend}: skipped (plain JS kernels; stack.md measured about 0.013 images/s for paper)`)
        continue
      }
      // The plain kernels take over a minute a step even on tiny: one round of one step there.
      const { best, median } =
        backend === 'cpu' ? await benchTrainingStep(name, backend, 32, 1, 1) : await benchTrainingStep(name, backend, 32, name === 'paper' ? 2 : 3)
      console.log(`  ${name} on ${backend}: ${best.toFixed(2)} images/s (median ${median.toFixed(2)})`)
    }
    for (const torch of await torchBackendStatuses()) {
      if (!torch.available) {
        console.log(`  ${name} on ${torch.name}: unavailable (${torch.detail})`)
        continue
      }
      const { best, median, threads } = await benchTorchStep(name, torch.name, 32, name === 'paper' ? 2 : 3)
      console.log(`  ${name} on ${torch.name}: ${best.toFixed(2)} images/s (median ${median.toFixed(2)}; ${threads} threads)`)
    }
  }
  for (const backend of trainingBackends().filter((b) => b !== 'cpu')) {
    console.log(`paper convolutions on ${backend}:`)
    for (const line of await benchConvolutions(backend)) console.log(line)
  }
  await benchCatalog()
  for (const line of await benchImports()) console.log(line)
  for (const line of await benchAging(presets)) console.log(line)
  for (const line of await benchEvaluation(presets)) console.log(line)
}

main().catch((error) => {
  console.error(`bench: ${(error as Error).message}`)
  process.exitCode = 1
})
