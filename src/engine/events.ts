/** The engine's event hub: jobs publish, transports (IPC, WebSocket, CLI) subscribe. */
import type { EventListener, EventName, StudioEvents } from '../shared/contract'

export class EventHub {
  private readonly listeners = new Set<EventListener>()

  emit<E extends EventName>(event: E, payload: StudioEvents[E]): void {
    for (const listener of this.listeners) listener(event, payload)
  }

  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }
}
