/** Where the studio keeps its catalog and files: --home, else AGE_STUDIO_HOME, else per-user app data. */
import { homedir } from 'node:os'
import { join, resolve } from 'node:path'

export function defaultHome(platform: NodeJS.Platform = process.platform, env: NodeJS.ProcessEnv = process.env, userHome = homedir()): string {
  if (platform === 'win32') return join(env.APPDATA ?? join(userHome, 'AppData', 'Roaming'), 'Age Studio')
  if (platform === 'darwin') return join(userHome, 'Library', 'Application Support', 'Age Studio')
  return join(env.XDG_DATA_HOME || join(userHome, '.local', 'share'), 'age-studio')
}

export function resolveHome(flag?: string, env: NodeJS.ProcessEnv = process.env): string {
  if (flag) return resolve(flag)
  if (env.AGE_STUDIO_HOME) return resolve(env.AGE_STUDIO_HOME)
  return defaultHome(process.platform, env)
}
