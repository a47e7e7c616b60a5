/** The CLI's client: the same one the UI uses, over an in-process transport. */
import { createClient, type CallInput, type CallName, type CallResult } from '../shared/contract'
import { dispatch } from '../engine/api/dispatch'
import { createHandlers } from '../engine/api/handlers'
import type { Studio } from '../engine/studio'

export function call<K extends CallName>(studio: Studio, name: K, input: CallInput<K>): Promise<CallResult<K>> {
  const handlers = createHandlers(studio)
  const client = createClient({
    call: (callName, callInput) => dispatch(handlers, callName, callInput) as never,
    subscribe: (listener) => studio.events.subscribe(listener),
  })
  return client.call(name, input)
}
