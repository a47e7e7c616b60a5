// Runs the built `age-studio` command as a user would (npm test builds it first).
import { spawn, spawnSync } from 'node:child_process'
import { rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { Catalog } from '../../src/engine/catalog/catalog'
import { CLI, tempHome } from '../helpers/serve'

const homes: string[] = []
const home = () => {
  const dir = tempHome('age-studio-cli-')
  homes.push(dir)
  return dir
}
afterAll(() => homes.forEach((dir) => rmSync(dir, { recursive: true, force: true })))

function run(args: string[], env: NodeJS.ProcessEnv = {}) {
  const result = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, ...env } })
  return { code: result.status, stdout: result.stdout, stderr: result.stderr }
}

/** --json promises exactly one JSON object on stdout. */
function json(args: string[], env?: NodeJS.ProcessEnv) {
  const result = run([...args, '--json'], env)
  const lines = result.stdout.trim().split('\n')
  expect(lines, result.stdout + result.stderr).toHaveLength(1)
  return { ...result, body: JSON.parse(lines[0]) }
}

describe('age-studio CLI', () => {
  it('demo then list reports the catalog per bin', () => {
    const dir = home()
    const demo = json(['--home', dir, 'demo', '--count', '120'])
    expect(demo.code).toBe(0)
    expect(demo.body).toMatchObject({ created: 120, perBin: [20, 20, 20, 20, 20, 20] })
    const list = json(['--home', dir, 'list'])
    expect(list.body.total).toBe(120)
    expect(list.body.perBin).toEqual([20, 20, 20, 20, 20, 20])
    expect(list.body.images).toHaveLength(100)
    const old = json(['--home', dir, 'list', '--bin', '5', '--limit', '3'])
    expect(old.body.images).toHaveLength(3)
    for (const image of old.body.images) expect(image.bin).toBe(5)
  })

  it('takes the home from AGE_STUDIO_HOME when --home is absent', () => {
    const dir = home()
    expect(json(['demo', '--count', '6', '--seed', '2'], { AGE_STUDIO_HOME: dir }).body.created).toBe(6)
    expect(json(['--home', dir, 'list']).body.total).toBe(6)
  })

  it('rejects bad arguments with a clear message and exit code 2', () => {
    const dir = home()
    const cases: [string[], RegExp][] = [
      [['demo', '--count', 'many'], /--count must be a whole number/],
      [['demo', '--count', '1e3'], /--count must be a whole number/],
      [['demo', '--bogus'], /Unknown option '--bogus'/],
      [['list', 'extra'], /unexpected argument "extra"/],
      [['frobnicate'], /unknown command "frobnicate"/],
      [['serve', '--port', '70000'], /--port must be 0–65535/],
    ]
    for (const [args, message] of cases) {
      const result = json(['--home', dir, ...args])
      expect(result.code, args.join(' ')).toBe(2)
      expect(result.body.error.message).toMatch(message)
    }
    const text = run(['--home', dir, 'demo', '--count', 'many'])
    expect(text.stderr).toMatch(/^age-studio: --count must be a whole number/)
    expect(text.stdout).toBe('')
  })

  it('reports out-of-range values from the contract and changes nothing', () => {
    const dir = home()
    const result = json(['--home', dir, 'demo', '--count', '99999999'])
    expect(result.code).toBe(1)
    expect(result.body.error).toMatchObject({ code: 'bad_input' })
    expect(result.body.error.message).toMatch(/count/)
    expect(json(['--home', dir, 'list']).body.total).toBe(0)
  })

  it('names, exports and deletes runs, refusing bad ids, missing files and existing outputs', () => {
    const dir = home()
    const catalog = Catalog.open(dir)
    catalog.runs.create('run-cli-admin', 'tiny', {}, 1, 'cpu')
    for (let step = 1; step <= 3; step++)
      catalog.runs.addMetrics('run-cli-admin', 'gan', step, { dReal: 1, dFake: 1, dMismatch: 1, g: step, imagesPerSecond: 5 })
    catalog.runs.setStatus('run-cli-admin', 'done')
    catalog.close()
    expect(json(['--home', dir, 'describe-run', 'run-cli-admin', '--name', 'Zoë’s baseline', '--notes', 'notes']).body).toMatchObject({
      name: 'Zoë’s baseline',
      notes: 'notes',
    })
    expect(run(['--home', dir, 'runs']).stdout).toContain('run-cli-admin (Zoë’s baseline)')
    const csv = join(dir, 'm.csv')
    expect(json(['--home', dir, 'export-metrics', 'run-cli-admin', '--out', csv]).body).toEqual({ path: csv, rows: 3 })
    const again = json(['--home', dir, 'export-metrics', 'run-cli-admin', '--out', csv])
    expect([again.code, again.body.error.code]).toEqual([1, 'exists'])
    expect(json(['--home', dir, 'export-metrics', 'run-cli-admin', '--out', csv, '--force']).code).toBe(0)
    expect(json(['--home', dir, 'export-metrics', 'run-cli-admin', '--out', join(dir, 'no', 'such', 'folder', 'm.csv')]).code).toBe(1)
    expect(run(['--home', dir, 'describe-run', 'run-cli-admin']).code).toBe(2)
    expect(run(['--home', dir, 'delete-run']).code).toBe(2)
    for (const bad of ['../../etc', 'run-x; rm -rf /', '']) expect(json(['--home', dir, 'delete-run', bad]).body.error.code).toBe('bad_input')
    expect(json(['--home', dir, 'delete-run', 'run-missing']).body.error.code).toBe('not_found')
    expect(json(['--home', dir, 'delete-run', 'run-cli-admin']).body).toEqual({ runId: 'run-cli-admin', checkpoints: 0, samples: 0 })
    expect(json(['--home', dir, 'runs']).body.runs).toEqual([])
  })

  it('says clearly when --home holds something that is not a catalog', () => {
    const dir = home()
    writeFileSync(join(dir, 'catalog.sqlite'), 'garbage'.repeat(1000))
    const result = json(['--home', dir, 'list'])
    expect(result.code).toBe(1)
    expect(result.body.error.message).toMatch(/is not an Age Studio catalog/)
    const file = join(dir, 'a-file')
    writeFileSync(file, 'x')
    expect(json(['--home', file, 'list']).code).toBe(1)
  })

  it('serve prints exactly one line with the URL and token, and stops on SIGINT', async () => {
    const child = spawn(process.execPath, [CLI, '--home', home(), 'serve', '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    child.stdout.on('data', (chunk) => (stdout += chunk))
    await expect.poll(() => stdout.includes('\n'), { timeout: 20_000 }).toBe(true)
    expect(stdout).toMatch(/^Age Studio web mode: http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]{20,}\n$/)
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve))
    child.kill('SIGINT')
    expect(await exited).toBe(0)
    expect(stdout.split('\n').filter(Boolean)).toHaveLength(1)
  })
})
