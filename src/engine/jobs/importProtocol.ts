/** Messages between the studio and an import worker thread. */
import type { ImportOptions, ImportOutcome } from '../datasets/importer'

export interface ImportWorkerStart {
  home: string
  nativeBinding?: string
  options: ImportOptions
}

export type ImportWorkerMessage =
  | { type: 'progress'; done: number; total: number }
  | { type: 'done'; outcome: ImportOutcome }
  | { type: 'cancelled' | 'failed'; error: string; badInput: boolean }
