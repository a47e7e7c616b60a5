/** The built worker entry points (out/main/*.js): workers run bundled code, never sources. */
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { projectRoot } from '../tf/blasAddon'

/** The script's path, or an error saying how to build it. */
export function workerScript(name: 'trainWorker' | 'importWorker' | 'agingWorker'): string {
  const script = join(projectRoot(), 'out', 'main', `${name}.js`)
  if (!existsSync(script)) throw new Error(`The ${name} script is not built (${script}): run npm run build.`)
  return script
}
