/**
 * The sandboxed preload: exposes the typed contract transport as window.studio, and nothing
 * else (no ipcRenderer, no Node).
 */
import { contextBridge } from 'electron'
import { ipcTransport } from './transport'

contextBridge.exposeInMainWorld('studio', ipcTransport)
