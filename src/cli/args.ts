/** Command-line parsing on node:util parseArgs, with errors a person can act on. */
import { parseArgs, type ParseArgsConfig } from 'node:util'

export class UsageError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'UsageError'
  }
}

export const GLOBAL_OPTIONS = {
  home: { type: 'string' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} satisfies ParseArgsConfig['options']

export type Options = NonNullable<ParseArgsConfig['options']>

/** Parses a command's options; positional arguments are refused unless the command takes them. */
export function parse<O extends Options>(args: string[], options: O, takesPositionals = false) {
  let parsed
  try {
    parsed = parseArgs({ args, options: { ...GLOBAL_OPTIONS, ...options }, allowPositionals: true, strict: true })
  } catch (error) {
    throw new UsageError((error as Error).message)
  }
  if (!takesPositionals && parsed.positionals.length > 0) {
    throw new UsageError(`unexpected argument ${JSON.stringify(parsed.positionals[0])}.`)
  }
  return parsed
}

/** A number option (decimals allowed), or a usage error that names it. */
export const numberOption = (name: string, value: string | boolean | undefined): number | undefined => {
  if (value === undefined) return undefined
  const parsed = Number(value)
  if (typeof value !== 'string' || value.trim() === '' || !Number.isFinite(parsed)) {
    throw new UsageError(`--${name} must be a number, got ${JSON.stringify(value)}.`)
  }
  return parsed
}

/** An integer option, or undefined when absent; "12abc" or "1e3" are errors, not 12 or 1000. */
export function intOption(name: string, value: string | boolean | undefined, range?: { min: number; max: number }): number | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'string' || !/^-?\d{1,15}$/.test(value.trim())) {
    throw new UsageError(`--${name} must be a whole number, got ${JSON.stringify(value)}.`)
  }
  const n = Number(value)
  if (range && (n < range.min || n > range.max)) throw new UsageError(`--${name} must be from ${range.min} to ${range.max}, got ${n}.`)
  return n
}
