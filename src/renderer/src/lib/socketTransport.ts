/**
 * The contract's transport over WebSocket (web mode). Calls made while the socket is
 * (re)connecting wait for it; the socket reconnects after a drop.
 */
import type { CallName, EventListener, Reply, StudioTransport } from '$shared/contract'
import type { CallFrame, ServerFrame } from '$shared/socket'

type Pending = (reply: Reply<unknown>) => void

/** 'lost': the socket closed and is reconnecting; what the studio did meanwhile was not seen. */
export type ConnectionState = 'connecting' | 'open' | 'lost'

export interface SocketTransport extends StudioTransport {
  onState(listener: (state: ConnectionState) => void): () => void
}

export function createSocketTransport(url: string): SocketTransport {
  const listeners = new Set<EventListener>()
  const stateListeners = new Set<(state: ConnectionState) => void>()
  let state: ConnectionState = 'connecting'
  const setState = (next: ConnectionState) => {
    const wasLost = state === 'lost'
    state = next
    for (const listener of stateListeners) listener(state)
    // Back after a loss: views refresh what may have changed while nobody was listening.
    if (wasLost && next === 'open') for (const listener of listeners) listener('catalog.changed', { datasetId: null })
  }
  const pending = new Map<number, Pending>()
  const queue: string[] = []
  let nextId = 1
  let socket: WebSocket
  let retryMs = 250

  const connect = () => {
    socket = new WebSocket(url)
    socket.onopen = () => {
      retryMs = 250
      setState('open')
      while (queue.length) socket.send(queue.shift()!)
    }
    socket.onmessage = (message) => {
      const frame = JSON.parse(String(message.data)) as ServerFrame
      if (frame.type === 'reply') {
        pending.get(frame.id)?.(frame.reply)
        pending.delete(frame.id)
      } else if (frame.type === 'event') {
        for (const listener of listeners) listener(frame.event, frame.payload)
      }
    }
    socket.onclose = () => {
      // Calls in flight on a dead socket will not be answered: fail them rather than hang.
      for (const [id, resolve] of pending) {
        resolve({ ok: false, error: { code: 'internal', message: 'Connection to the studio was lost.' } })
        pending.delete(id)
      }
      setState('lost')
      setTimeout(connect, retryMs)
      retryMs = Math.min(retryMs * 2, 5000)
    }
  }
  connect()

  return {
    call<K extends CallName>(name: K, input: unknown) {
      const id = nextId++
      const frame: CallFrame = { type: 'call', id, name, input }
      const message = JSON.stringify(frame)
      return new Promise((resolve) => {
        pending.set(id, resolve as Pending)
        if (socket.readyState === WebSocket.OPEN) socket.send(message)
        else queue.push(message)
      })
    },
    subscribe(listener) {
      listeners.add(listener)
      return () => {
        listeners.delete(listener)
      }
    },
    onState(listener) {
      stateListeners.add(listener)
      listener(state)
      return () => {
        stateListeners.delete(listener)
      }
    },
  }
}
