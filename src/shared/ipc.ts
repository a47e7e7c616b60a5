/**
 * Electron IPC channel names, shared by main and preload. Kept apart from contract.ts so the
 * sandboxed preload bundle does not carry zod.
 */
export const IPC_CALL = 'studio:call'
export const IPC_EVENT = 'studio:event'

/** What the preload sends on IPC_CALL and main receives after the event: the call's name and input. */
export type IpcCallArgs = [name: string, input: unknown]
