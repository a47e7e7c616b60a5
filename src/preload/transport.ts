/** The contract's transport over Electron IPC. Main validates every call (engine/api/dispatch). */
import { ipcRenderer, type IpcRendererEvent } from 'electron'
import type { EventName, StudioEvents, StudioTransport } from '../shared/contract'
import { IPC_CALL, IPC_EVENT, type IpcCallArgs } from '../shared/ipc'

export const ipcTransport: StudioTransport = {
  call: (name, input) => ipcRenderer.invoke(IPC_CALL, ...([name, input] satisfies IpcCallArgs)),
  subscribe(listener) {
    const forward = (_event: IpcRendererEvent, name: EventName, payload: StudioEvents[EventName]) => listener(name, payload)
    ipcRenderer.on(IPC_EVENT, forward)
    return () => {
      ipcRenderer.removeListener(IPC_EVENT, forward)
    }
  },
}
