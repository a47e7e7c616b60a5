/**
 * The engine's failures a user can act on, and the one place an error becomes an ErrorCode.
 * A UserError carries its code across worker threads and transports; anything else is a bug,
 * reported as 'internal'.
 */
import { StudioError, type ErrorCode } from '../shared/contract'

export abstract class UserError extends Error {
  abstract readonly code: ErrorCode
}

/** The request cannot be done as asked: bad values, an unreadable file, no face. */
export class BadInput extends UserError {
  readonly code = 'bad_input'
}

export class NotFound extends UserError {
  readonly code = 'not_found'
}

/** Stopped because the user asked; what was done so far is kept. */
export class Cancelled extends UserError {
  readonly code = 'cancelled'
  constructor(message = 'cancelled') {
    super(message)
  }
}

/** An output would replace a file; the same request with force replaces it. */
export class OutputExistsError extends UserError {
  readonly code = 'exists'
  constructor(readonly path: string) {
    super(`${path} already exists; choose another name or folder, or ask to replace it (--force).`)
  }
}

/** The run is being trained, here or by another process. */
export class RunBusyError extends UserError {
  readonly code = 'busy'
}

/** Aging a face cannot go on: no model, no face, a photo that cannot be read. */
export class AgeError extends BadInput {}

export function errorCode(error: unknown): ErrorCode {
  return error instanceof StudioError || error instanceof UserError ? error.code : 'internal'
}

/** The error as it crosses a worker thread: its code and message. */
export const failure = (error: unknown) => ({ code: errorCode(error), error: error instanceof Error ? error.message : String(error) })

/** A failure posted by a worker, thrown again on the studio's side with its code. */
export function fromFailure(message: { code: ErrorCode; error: string }): Error {
  return message.code === 'internal' ? new Error(message.error) : new StudioError(message.code, message.error)
}
