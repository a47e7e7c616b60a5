/** Where the Electron-ABI build of better-sqlite3 lives (made by `npm run native:electron`). */
import { app } from 'electron'
import { join } from 'node:path'

export function electronSqliteBinding(): string {
  return join(app.getAppPath(), '.native', `electron-${process.versions.electron}-${process.arch}`, 'better_sqlite3.node')
}
