// One mapping from an engine error to the code a client sees, across threads and transports.
import { describe, expect, it } from 'vitest'
import { StudioError } from '../../src/shared/contract'
import { AgeError, errorCode, failure, fromFailure, OutputExistsError, RunBusyError } from '../../src/engine/errors'
import { BatchCancelled } from '../../src/engine/aging/batch'
import { SessionMissing } from '../../src/engine/aging/editorSessions'
import { ModelError } from '../../src/engine/aging/model'
import { ImportError } from '../../src/engine/datasets/importSources'
import { PhotoError } from '../../src/engine/faces/photoFace'
import { InputFileError } from '../../src/engine/inputFiles'
import { JobCancelled } from '../../src/engine/workers/jobs'
import { RunKitError } from '../../src/engine/torch/runKit'

describe('error codes', () => {
  it('gives each user-facing failure its code, and anything else "internal"', () => {
    const cases: [unknown, string][] = [
      [new StudioError('not_found', 'x'), 'not_found'],
      [new AgeError('no face'), 'bad_input'],
      [new ModelError('no model'), 'bad_input'],
      [new ImportError('bad csv'), 'bad_input'],
      [new PhotoError('no face found'), 'bad_input'],
      [new InputFileError('/dev/zero', 'not a regular file'), 'bad_input'],
      [new RunKitError('bad kit'), 'bad_input'],
      [new SessionMissing('gone'), 'not_found'],
      [new OutputExistsError('/tmp/a.png'), 'exists'],
      [new RunBusyError('busy'), 'busy'],
      [new JobCancelled(), 'cancelled'],
      [new BatchCancelled(), 'cancelled'],
      [new TypeError('undefined is not a function'), 'internal'],
      ['a string', 'internal'],
    ]
    for (const [error, code] of cases) expect(errorCode(error), String(error)).toBe(code)
  })

  it('carries code and message across a worker thread and back', () => {
    const message = failure(new OutputExistsError('/out/manifest.json'))
    expect(message).toEqual({ code: 'exists', error: '/out/manifest.json already exists; choose another name or folder, or ask to replace it (--force).' })
    const back = fromFailure(message)
    expect(back).toBeInstanceOf(StudioError)
    expect(errorCode(back)).toBe('exists')
    expect(errorCode(fromFailure(failure(new Error('disk on fire'))))).toBe('internal')
  })
})
