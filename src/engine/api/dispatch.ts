/**
 * Validates and runs one call. Both bindings (Electron main, web server) go through here, so
 * every input is checked by zod in the process that receives it, whatever the transport.
 */
import { requestProblems } from '../../shared/problems'
import { calls, isCallName, type ApiErrorBody, type Handlers, type Reply } from '../../shared/contract'
import { JobCancelled } from '../workers/jobs'
import { errorCode } from '../errors'

const fail = (code: ApiErrorBody['code'], message: string): Reply<never> => ({ ok: false, error: { code, message } })

export async function dispatch(handlers: Handlers, name: unknown, input: unknown): Promise<Reply<unknown>> {
  if (!isCallName(name)) {
    return fail('unknown_call', `Unknown call ${JSON.stringify(String(name).slice(0, 80))}.`)
  }
  const parsed = calls[name].input.safeParse(input === undefined ? {} : input)
  if (!parsed.success) return fail('bad_input', requestProblems(name, parsed.error.issues))
  try {
    const handler = handlers[name] as (args: unknown) => Promise<unknown>
    return { ok: true, result: await handler(parsed.data) }
  } catch (error) {
    if (error instanceof JobCancelled) return fail('cancelled', `${name} was cancelled.`)
    const code = errorCode(error)
    const message = error instanceof Error ? error.message : String(error)
    if (code === 'internal') console.error(`[age-studio] ${name} failed:`, error)
    return fail(code, message)
  }
}
