/**
 * A run's loss curves in the renderer: one series per phase and metric, filled from the catalog
 * and then from live events. Points are keyed by step, so a reload that fetches what an event
 * already delivered (or the other way round) never doubles a point.
 */
import type { MetricRow } from '$shared/domain'
import { lossEntries, METRIC_NAMES, type RunProgress } from '$shared/training'

export interface Point {
  x: number
  y: number
}

/** The losses a chart shows, in its legend's order; throughput is shown as a number instead. */
export const LOSS_SERIES = ['d_real', 'd_fake', 'd_mismatch', 'g', 'e'] as const
export const LOSS_LABELS: Record<string, string> = { d_real: 'D real', d_fake: 'D fake', d_mismatch: 'D mismatch', g: 'G', e: 'E' }

export class RunCurves {
  /** key "phase:name" → step → value */
  private readonly series = new Map<string, Map<number, number>>()

  addRows(rows: MetricRow[]): void {
    for (const row of rows) this.put(row.phase, row.name, row.step, row.value)
  }

  addProgress(progress: RunProgress): void {
    for (const [key, value] of lossEntries(progress.losses)) this.put(progress.phase, METRIC_NAMES[key], progress.step, value)
  }

  private put(phase: string, name: string, step: number, value: number): void {
    const key = `${phase}:${name}`
    let points = this.series.get(key)
    if (!points) this.series.set(key, (points = new Map<number, number>()))
    points.set(step, value)
  }

  /**
   * The series with data, as sorted points. One run's view puts the encoder's steps after the
   * cGAN's on the x axis; a comparison counts each phase from its own start (`sequential` false),
   * so runs with different cGAN lengths overlay their encoder curves.
   */
  curves(sequential = true): { key: string; label: string; points: Point[] }[] {
    let ganEnd = 0
    for (const step of this.series.get('gan:g')?.keys() ?? []) ganEnd = Math.max(ganEnd, step)
    const out: { key: string; label: string; points: Point[] }[] = []
    for (const phase of ['gan', 'encoder']) {
      for (const name of LOSS_SERIES) {
        const points = this.series.get(`${phase}:${name}`)
        if (!points || points.size === 0) continue
        const offset = phase === 'encoder' && sequential ? ganEnd : 0
        const sorted = [...points].sort((a, b) => a[0] - b[0]).map(([step, y]) => ({ x: step + offset, y }))
        out.push({ key: `${phase}:${name}`, label: LOSS_LABELS[name], points: sorted })
      }
    }
    return out
  }

  get size(): number {
    let n = 0
    for (const points of this.series.values()) n += points.size
    return n
  }
}

/**
 * TensorBoard's smoothing: an exponential moving average, debiased so the first points are not
 * dragged towards zero. weight 0 returns the data; 0.99 is very smooth.
 */
export function smooth(points: Point[], weight: number): Point[] {
  if (weight <= 0) return points
  let last = 0
  let count = 0
  return points.map((p) => {
    count++
    last = last * weight + (1 - weight) * p.y
    return { x: p.x, y: last / (1 - weight ** count) }
  })
}
