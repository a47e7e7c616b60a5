/**
 * Type-level tests, checked by `tsc --noEmit` in `npm test`: they fail to compile when the
 * contract and a binding drift apart.
 */
import type { CallName, EventName, Handlers, StudioClient, StudioEvents, StudioTransport } from '../../src/shared/contract'
import type { CallFrame, ServerFrame } from '../../src/shared/socket'
import type { IpcCallArgs } from '../../src/shared/ipc'
import type { createHandlers } from '../../src/engine/api/handlers'
import type { ipcTransport } from '../../src/preload/transport'
import type { createSocketTransport } from '../../src/renderer/src/lib/socketTransport'

type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false
type Assert<T extends true> = T

// The engine implements exactly the contract's calls, with the contract's types.
export type EngineImplementsContract = Assert<Equals<ReturnType<typeof createHandlers>, Handlers>>
export type EngineHasEveryCall = Assert<Equals<keyof ReturnType<typeof createHandlers>, CallName>>

// Both transports offer the renderer exactly the contract's transport.
export type IpcBindingMatches = Assert<Equals<typeof ipcTransport, StudioTransport>>
// What the preload sends over IPC is what main's handler takes apart.
export type IpcArgsMatch = Assert<
  Equals<Parameters<StudioTransport['call']> extends [infer N, infer I] ? ([N, I] extends IpcCallArgs ? true : false) : false, true>
>
// The socket transport is the contract's transport, plus its connection state (which IPC lacks).
type SocketTransport = ReturnType<typeof createSocketTransport>
export type SocketBindingMatches = Assert<Equals<Pick<SocketTransport, keyof StudioTransport>, Pick<StudioTransport, keyof StudioTransport>>>
export type SocketAddsOnlyState = Assert<Equals<Exclude<keyof SocketTransport, keyof StudioTransport>, 'onState'>>
// The renderer's window.studio is the preload's transport.
export type WindowStudioMatches = Assert<Equals<NonNullable<Window['studio']>, StudioTransport>>

declare const client: StudioClient
export async function callsAreChecked(): Promise<void> {
  // @ts-expect-error: a call that is not in the contract
  await client.call('library.nope', {})
  // @ts-expect-error: an input of the wrong type
  await client.call('library.list', { limit: 'ten' })
  // @ts-expect-error: the result type is the contract's (total is a number)
  const total: string = (await client.call('library.stats', {})).total
  void total
}

// Web mode's frames: a call names a contract call; an event frame pairs each event with its payload.
type EventFrame = Extract<ServerFrame, { type: 'event' }>
export type CallFramesNameCalls = Assert<Equals<CallFrame['name'], CallName>>
export type EventFramesCoverEvents = Assert<Equals<EventFrame['event'], EventName>>
export type EventFramePayloadsMatch = Assert<Equals<Extract<EventFrame, { event: 'run.progress' }>['payload'], StudioEvents['run.progress']>>
