// `age-studio import` run as a user would: the built CLI on folders of real face crops.
import { spawnSync } from 'node:child_process'
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { faceCrops, writeFolder, type FaceCrop } from '../helpers/faces'
import { CLI, tempHome } from '../helpers/serve'

const dir = tempHome('age-studio-cli-import-')
afterAll(() => rmSync(dir, { recursive: true, force: true }))
let crops: FaceCrop[] = []
beforeAll(async () => {
  crops = await faceCrops()
}, 120_000)

function run(args: string[]) {
  const result = spawnSync(process.execPath, [CLI, '--home', join(dir, 'home'), ...args], { encoding: 'utf8' })
  return { code: result.status, stdout: result.stdout, stderr: result.stderr }
}

describe('age-studio import', () => {
  it('imports a CACD folder with --json, then names every bad file of a mixed folder, and adds nothing twice', () => {
    const cacd = writeFolder(join(dir, 'cacd'), Object.fromEntries(crops.slice(0, 5).map((c, i) => [`${[8, 25, 35, 47, 66][i]}_Some_One_000${i}.jpg`, c.bytes])))
    const first = run(['--json', 'import', cacd])
    expect(first.code, first.stderr).toBe(0)
    const lines = first.stdout.trim().split('\n')
    expect(lines).toHaveLength(1)
    expect(JSON.parse(lines[0])).toMatchObject({ imported: 5, duplicates: 0, rejected: [], perBin: [1, 1, 1, 1, 0, 1], format: 'cacd' })

    const mixed = writeFolder(join(dir, 'mixed'), { 'ok.jpg': crops[6].bytes, 'broken.jpg': 'nope', 'again.jpg': crops[0].bytes })
    const second = run(['import', mixed, '--format', 'folder', '--dataset', 'case 7'])
    expect(second.code, second.stderr).toBe(0)
    expect(second.stdout).toContain('Imported 1 into dataset 2 (format folder); 1 already there')
    expect(second.stdout).toContain(`${join(mixed, 'broken.jpg')}: not an image (unknown or corrupt format)`)
    expect(second.stderr).toMatch(/imported 3\/3/)

    const again = JSON.parse(run(['--json', 'import', cacd, mixed]).stdout)
    expect(again).toMatchObject({ imported: 0, duplicates: 7, rejected: [{ file: join(mixed, 'broken.jpg') }] })
  }, 300_000)

  it('refuses bad usage with exit 2 and a missing path with exit 1, changing nothing', () => {
    expect(run(['import']).code).toBe(2)
    expect(run(['import', dir, '--format', 'jpeg']).stderr).toMatch(/--format must be one of auto, utkface/)
    expect(run(['import', dir, '--split-seed', 'x']).code).toBe(2)
    const missing = run(['--json', 'import', join(dir, 'nowhere')])
    expect(missing.code).toBe(1)
    expect(JSON.parse(missing.stdout)).toEqual({ error: { code: 'bad_input', message: `${join(dir, 'nowhere')} does not exist.` } })
  })
})
