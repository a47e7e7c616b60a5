/** Messages between the studio and an import worker thread. */
import type { ErrorCode } from '../../../shared/contract'
import type { ImportOptions, ImportOutcome } from '../../datasets/importer'

export interface ImportWorkerStart {
  home: string
  nativeBinding?: string
  options: ImportOptions
}

export type ImportWorkerMessage =
  { type: 'progress'; done: number; total: number } | { type: 'done'; outcome: ImportOutcome } | { type: 'failed'; code: ErrorCode; error: string }
