/** Starts the real `age-studio serve` on a temporary home and hands back its URL and token. */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export const ROOT = join(__dirname, '..', '..')
export const CLI = join(ROOT, 'bin', 'age-studio.js')

export interface Served {
  home: string
  url: string
  origin: string
  token: string
  process: ChildProcess
  stop(): Promise<void>
}

export function tempHome(prefix = 'age-studio-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix))
}

/**
 * Without `defaultModel` the studio starts without the shipped model, as `serve --no-default-model`:
 * the suites that train and import their own models see only those (first-start.spec has it on).
 */
export async function serveStudio(home = tempHome(), options: { defaultModel?: boolean } = {}): Promise<Served> {
  const flags = options.defaultModel ? [] : ['--no-default-model']
  const child = spawn(process.execPath, [CLI, '--home', home, 'serve', '--port', '0', ...flags], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (chunk) => (stderr += chunk))
  const line = await new Promise<string>((resolve, reject) => {
    let stdout = ''
    child.stdout.on('data', (chunk) => {
      stdout += chunk
      if (stdout.includes('\n')) resolve(stdout.split('\n')[0])
    })
    child.once('exit', (code) => reject(new Error(`serve exited with ${code}: ${stderr}`)))
  })
  const match = /^Age Studio web mode: (http:\/\/[^/]+)\/\?token=([\w-]+)$/.exec(line)
  if (!match) throw new Error(`unexpected serve line: ${line}`)
  return {
    home,
    url: `${match[1]}/?token=${match[2]}`,
    origin: match[1],
    token: match[2],
    process: child,
    stop: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve))
        child.kill('SIGINT')
        // A worker stuck in native code must not hang the suite: force it after 15 s.
        const force = setTimeout(() => child.kill('SIGKILL'), 15_000)
        await exited
        clearTimeout(force)
      }
      rmSync(home, { recursive: true, force: true })
    },
  }
}

/** One API call over HTTP with the served studio's token; a refused call throws "code: message" as JSON. */
export async function callApi(s: Served, name: string, data: object): Promise<any> {
  const reply = await fetch(`${s.origin}/api/call/${name}`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${s.token}`, 'Content-Type': 'application/json' },
    body: JSON.stringify(data),
  })
  const body = await reply.json()
  if (!body.ok) throw new Error(JSON.stringify(body.error))
  return body.result
}
