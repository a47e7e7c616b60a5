/** The age-studio command line. Exit codes: 0 done, 1 failed, 2 bad usage. */
import { resolveHome } from '../engine/home'
import { Studio } from '../engine/studio'
import { errorCode } from '../engine/errors'
import { GLOBAL_OPTIONS, UsageError } from './args'
import { COMMANDS, USAGE } from './commands'
import { join } from 'node:path'
import { parseArgs } from 'node:util'

/** out/main/cli.js → out/renderer (this is the entry module, so __dirname is out/main). */
const RENDERER_DIR = join(__dirname, '..', 'renderer')

async function main(argv: string[]): Promise<number> {
  // First pass: only the globals and the command name; each command parses its own options.
  const { values, positionals } = parseArgs({ args: argv, options: GLOBAL_OPTIONS, allowPositionals: true, strict: false })
  const json = values.json === true
  const name = positionals[0]
  const emitError = (code: string, message: string) => {
    if (json) process.stdout.write(`${JSON.stringify({ error: { code, message } })}\n`)
    else process.stderr.write(`age-studio: ${message}\n`)
  }
  if (values.help || !name) {
    process.stdout.write(USAGE)
    return name || values.help ? 0 : 2
  }
  if (!Object.hasOwn(COMMANDS, name)) {
    emitError('usage', `unknown command ${JSON.stringify(name)}; run age-studio --help.`)
    return 2
  }
  let studio: Studio | undefined
  try {
    const home = resolveHome(typeof values.home === 'string' ? values.home : undefined)
    studio = Studio.open(home, { mode: 'cli' })
    const command = COMMANDS[name as keyof typeof COMMANDS]
    const at = argv.indexOf(name)
    const args = [...argv.slice(0, at), ...argv.slice(at + 1)]
    const log = (line: string) => !json && process.stderr.write(`${line}\n`)
    const output = await command({ studio, json, args, log, rendererDir: RENDERER_DIR })
    if (output) process.stdout.write(json ? `${JSON.stringify(output.json)}\n` : `${output.text}\n`)
    return 0
  } catch (error) {
    const usage = error instanceof UsageError
    if (process.env.AGE_STUDIO_DEBUG) process.stderr.write(`${(error as Error).stack}\n`)
    // A user's refusal keeps its code (bad_input, exists, busy…); anything else is a failure.
    const code = errorCode(error)
    emitError(usage ? 'usage' : code === 'internal' ? 'failed' : code, (error as Error).message)
    return usage ? 2 : 1
  } finally {
    await studio?.close()
  }
}

main(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (error) => {
    process.stderr.write(`age-studio: ${(error as Error).stack ?? error}\n`)
    process.exitCode = 1
  },
)
