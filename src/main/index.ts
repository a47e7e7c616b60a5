/**
 * The Electron main process: one window, the engine for the user's data directory, and the
 * contract bound to IPC. Every call is validated here by dispatch() before it reaches the engine.
 */
import { app, BrowserWindow, dialog, ipcMain } from 'electron'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { dispatch } from '../engine/api/dispatch'
import { createHandlers } from '../engine/api/handlers'
import { resolveHome } from '../engine/home'
import { Studio } from '../engine/studio'
import { IPC_CALL, IPC_EVENT, type IpcCallArgs } from '../shared/ipc'
import { electronSqliteBinding } from './native'
import { lockDown, secureWebPreferences } from './security'

function homeFromArgs(): string {
  const { values } = parseArgs({ args: process.argv.slice(1), options: { home: { type: 'string' } }, strict: false, allowPositionals: true })
  return resolveHome(typeof values.home === 'string' ? values.home : undefined)
}

function createWindow(): BrowserWindow {
  const window = new BrowserWindow({
    width: 1360,
    height: 880,
    minWidth: 900,
    minHeight: 600,
    show: false,
    title: 'Age Studio',
    backgroundColor: '#16181d',
    webPreferences: secureWebPreferences(join(__dirname, '../preload/index.js')),
  })
  lockDown(window)
  window.once('ready-to-show', () => window.show())
  if (!app.isPackaged && process.env.ELECTRON_RENDERER_URL) void window.loadURL(process.env.ELECTRON_RENDERER_URL)
  else void window.loadFile(join(__dirname, '../renderer/index.html'))
  return window
}

function start(): void {
  let studio: Studio
  try {
    studio = Studio.open(homeFromArgs(), { mode: 'electron', nativeBinding: electronSqliteBinding() })
  } catch (error) {
    dialog.showErrorBox('Age Studio cannot open its catalog', (error as Error).message)
    app.exit(1)
    return
  }
  void studio.installDefaultModel((message) => console.error(`age-studio: ${message}`))
  const handlers = createHandlers(studio)
  const window = createWindow()
  ipcMain.handle(IPC_CALL, (event, ...[name, input]: IpcCallArgs) => {
    // Only our own window's top frame may call the engine.
    if (event.sender !== window.webContents || event.senderFrame !== window.webContents.mainFrame) {
      return { ok: false, error: { code: 'unknown_call', message: 'Calls are accepted from the studio window only.' } }
    }
    return dispatch(handlers, name, input)
  })
  const unsubscribe = studio.events.subscribe((event, payload) => {
    if (!window.isDestroyed()) window.webContents.send(IPC_EVENT, event, payload)
  })
  app.on('window-all-closed', () => {
    unsubscribe()
    void studio.close().finally(() => app.quit())
  })
}

app.enableSandbox()
void app.whenReady().then(start)
