/**
 * Electron IPC channel names, shared by main and preload. Kept apart from contract.ts so the
 * sandboxed preload bundle does not carry zod.
 */
export const IPC_CALL = 'studio:call'
export const IPC_EVENT = 'studio:event'
