// age-studio export-model → import-model on another home → batch --model, through the built command.
import { spawnSync } from 'node:child_process'
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CLI, tempHome } from '../helpers/serve'
import { DEMO_PHOTOS } from '../helpers/photos'

const homes = { studio: tempHome('age-studio-cli-batch-'), offline: tempHome('age-studio-cli-offline-') }
let runId: string

function cli(home: string, args: string[]) {
  const result = spawnSync(process.execPath, [CLI, '--home', home, ...args, '--json'], { encoding: 'utf8' })
  const lines = result.stdout.trim().split('\n')
  expect(lines, result.stdout + result.stderr).toHaveLength(1)
  return { code: result.status, body: JSON.parse(lines[0]), stderr: result.stderr }
}

beforeAll(() => {
  expect(cli(homes.studio, ['demo', '--count', '60']).code).toBe(0)
  const trained = cli(homes.studio, ['train', '--preset', 'tiny', '--steps', '4', '--encoder-steps', '4', '--batch', '8', '--checkpoint-every', '4'])
  expect(trained.code, trained.stderr).toBe(0)
  runId = trained.body.runId
}, 300_000)
afterAll(() => Object.values(homes).forEach((home) => rmSync(home, { recursive: true, force: true })))

describe('age-studio batch and model bundles', () => {
  it('exports a bundle, imports it elsewhere and runs a batch with it', () => {
    const bundle = join(homes.studio, 'model.agemodel')
    const exported = cli(homes.studio, ['export-model', '--run', runId, '--out', bundle])
    expect(exported.code, exported.stderr).toBe(0)
    expect(existsSync(bundle)).toBe(true)

    const imported = cli(homes.offline, ['import-model', bundle])
    expect(imported.code, imported.stderr).toBe(0)
    expect(imported.body).toMatchObject({ modelHash: exported.body.modelHash, alreadyImported: false })

    const photos = join(homes.offline, 'photos')
    mkdirSync(photos)
    copyFileSync(DEMO_PHOTOS[3], join(photos, 'one.jpg'))
    const out = join(homes.offline, 'aged')
    const batch = cli(homes.offline, [
      'batch',
      photos,
      '--model',
      bundle,
      '--to',
      '30,70',
      '--variations',
      '2',
      '--optimize',
      'none',
      '--format',
      'jpeg',
      '--strength',
      '1.5',
      '--out',
      out,
    ])
    expect(batch.code, batch.stderr).toBe(0)
    expect(batch.body).toMatchObject({ inputs: 1, outputs: 4, modelHash: exported.body.modelHash, failed: [] })
    const manifest = JSON.parse(readFileSync(batch.body.manifestJson, 'utf8'))
    expect(manifest.outputs.map((o: { output: string }) => o.output.endsWith('.jpg'))).toEqual([true, true, true, true])
    expect(manifest.outputs.map((o: { parameters: { strength: number } }) => o.parameters.strength)).toEqual([1.5, 1.5, 1.5, 1.5])
    expect(existsSync(batch.body.pdf)).toBe(true)

    // Resuming a finished batch redoes nothing.
    const again = cli(homes.offline, ['batch', '--resume', batch.body.jobId])
    expect(again.code, again.stderr).toBe(0)
    expect(again.body).toMatchObject({ outputs: 4, reused: 4 })
  }, 300_000)

  it('says what is wrong with a bad command line', () => {
    const usage = [
      [['batch', '--run', runId, '--out', 'x'], /needs photos or folders/],
      [['batch', DEMO_PHOTOS[0], '--run', runId, '--out', 'x'], /--to/],
      [['batch', DEMO_PHOTOS[0], '--run', runId, '--model', 'm', '--to', '40', '--out', 'x'], /one of --run RUN_ID or --model BUNDLE, not both/],
      [['batch', DEMO_PHOTOS[0], '--run', runId, '--to', '40,abc', '--out', 'x'], /ages in years/],
      [['batch', DEMO_PHOTOS[0], '--run', runId, '--to', '40', '--out', 'x', '--composite', 'paste'], /--composite must be one of residual, replace/],
      [['export-model', '--run', runId], /--out FILE/],
      [['import-model'], /one bundle file/],
    ] as const
    for (const [args, message] of usage) {
      const result = cli(homes.studio, [...args])
      expect(result.code, args.join(' ')).toBe(2)
      expect(result.body.error.message).toMatch(message)
    }
    const missing = cli(homes.studio, ['import-model', join(homes.studio, 'nope.agemodel')])
    expect(missing.code).toBe(1)
    expect(missing.body.error).toMatchObject({ code: 'bad_input', message: expect.stringMatching(/nope.agemodel does not exist/) })
    const early = cli(homes.studio, ['export-model', '--run', 'run-missing', '--out', join(homes.studio, 'x.agemodel')])
    expect(early.body.error.message).toMatch(/no run run-missing/)
    const variations = cli(homes.studio, ['batch', DEMO_PHOTOS[0], '--run', runId, '--to', '40', '--variations', '99', '--out', join(homes.studio, 'o')])
    expect(variations.body.error).toMatchObject({ code: 'bad_input', message: expect.stringMatching(/variations/) })
    // Usage errors exit 2; what the contract refuses exits 1, in the same plain words.
    for (const [strength, code, message] of [
      ['3', 1, 'batch.run: strength: at most 2.'],
      ['strong', 2, '--strength must be a number, got "strong".'],
    ] as const) {
      const refused = cli(homes.studio, ['batch', DEMO_PHOTOS[0], '--run', runId, '--to', '40', '--strength', strength, '--out', join(homes.studio, 'o')])
      expect([refused.code, refused.body.error.message]).toEqual([code, message])
    }
  }, 120_000)
})
