/**
 * Web mode's WebSocket frames, both directions, as JSON text. The browser sends calls; the studio
 * answers each with a reply (by id), streams every engine event, and says 'error' for a frame it
 * cannot read. Both sides build and read frames through these types.
 */
import type { CallName, EventName, Reply, StudioEvents } from './contract'

export interface CallFrame {
  type: 'call'
  id: number
  name: CallName
  input: unknown
}

/** From the studio: a reply to a call, an event, or why a frame was not understood. */
export type ServerFrame =
  | { type: 'reply'; id: number; reply: Reply<unknown> }
  | { [E in EventName]: { type: 'event'; event: E; payload: StudioEvents[E] } }[EventName]
  | { type: 'error'; message: string }
