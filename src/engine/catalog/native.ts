/**
 * Opening better-sqlite3 under two runtimes. The CLI, web mode and tests run under Node and use
 * the build npm made; the Electron app passes the separate build for Electron's ABI made by
 * `npm run native:electron` (scripts/native-electron.mjs), so neither breaks the other.
 */
import Database from 'better-sqlite3'
import { existsSync } from 'node:fs'

export class NativeModuleError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'NativeModuleError'
  }
}

/** The command that fixes the native build for the runtime we are in. */
export function nativeFixCommand(isElectron = Boolean(process.versions.electron)): string {
  return isElectron ? 'npm run native:electron' : 'npm rebuild better-sqlite3'
}

/** Rewrites Node's ABI-mismatch error into one sentence with the fix; other errors pass through. */
export function explainNativeError(error: unknown, isElectron = Boolean(process.versions.electron)): unknown {
  const message = error instanceof Error ? error.message : String(error)
  const abi = /NODE_MODULE_VERSION (\d+)[\s\S]*NODE_MODULE_VERSION (\d+)/.exec(message)
  if (!abi) return error
  const runtime = isElectron ? `Electron ${process.versions.electron ?? ''}`.trim() : `Node.js ${process.version}`
  return new NativeModuleError(
    `The SQLite module (better-sqlite3) was built for ABI ${abi[1]} but ${runtime} needs ABI ${abi[2]}: ` +
      `run \`${nativeFixCommand(isElectron)}\` in the Age Studio folder to fix it.`,
  )
}

export function openDatabase(file: string, nativeBinding?: string): Database.Database {
  if (nativeBinding && !existsSync(nativeBinding)) {
    throw new NativeModuleError(`The SQLite module for this runtime is missing (${nativeBinding}): run \`${nativeFixCommand()}\` in the Age Studio folder.`)
  }
  try {
    return new Database(file, nativeBinding ? { nativeBinding } : {})
  } catch (error) {
    throw explainNativeError(error)
  }
}
