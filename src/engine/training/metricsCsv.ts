/**
 * A run's metrics as CSV, one row per phase and step with every metric as a column (the shape
 * spreadsheets and pandas want). Each metric is read a page at a time along the primary key
 * (run, phase, name, step) and the pages are merged by step, so a run with 500k steps streams
 * in bounded memory and never holds the connection between pages.
 */
import { stringify } from 'csv-stringify/sync'
import { METRIC_NAMES } from '../../shared/training'
import type { RunRepo } from '../catalog/runs'

const COLUMNS = Object.values(METRIC_NAMES)
const PAGE = 2000

type Row = { step: number; value: number }

export function* metricsCsv(runs: RunRepo, runId: string): Generator<string> {
  yield stringify([['phase', 'step', ...COLUMNS]])
  for (const phase of ['gan', 'encoder'] as const) {
    for (let after = -1; after < Infinity;) {
      const pages: Row[][] = COLUMNS.map((name) => runs.metricPage(runId, phase, name, after, PAGE))
      // Up to the lowest last step of a full page, every metric's rows are in hand.
      const upTo = Math.min(...pages.filter((p) => p.length === PAGE).map((p) => p[p.length - 1].step))
      const lines = new Map<number, (string | number)[]>()
      pages.forEach((rows, column) => {
        for (const { step, value } of rows) {
          if (step > upTo) break
          const line = lines.get(step) ?? [phase, step, ...COLUMNS.map(() => '')]
          line[2 + column] = value
          lines.set(step, line)
        }
      })
      if (lines.size) yield stringify([...lines.values()].sort((a, b) => Number(a[1]) - Number(b[1])))
      after = upTo
    }
  }
}
