/**
 * Train/val/test splits, reproducible from a seed: each key (a person, or a photo when the
 * dataset names no person) hashes with the seed to a point in [0, 1). The same seed gives the
 * same splits on any machine, and one person never lands in two splits.
 */
import { createHash } from 'node:crypto'
import type { Split } from '../../shared/domain'

export interface SplitPlan {
  seed: number
  /** Fractions for validation and test; the rest trains. */
  val: number
  test: number
}

export const DEFAULT_SPLITS: SplitPlan = { seed: 0, val: 0.1, test: 0.1 }

export function splitFor(key: string, plan: SplitPlan): Split {
  const point = createHash('sha256').update(`${plan.seed}\0${key}`).digest().readUInt32BE(0) / 2 ** 32
  return point < plan.test ? 'test' : point < plan.test + plan.val ? 'val' : 'train'
}
