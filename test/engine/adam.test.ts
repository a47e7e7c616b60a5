// The one-pass CPU Adam makes the same updates as tfjs's Adam, and its state round-trips.
import * as tf from '@tensorflow/tfjs'
import { describe, expect, it } from 'vitest'
import { CpuAdam, makeAdam } from '../../src/engine/tf/cpuAdam'
import { useBackend } from '../../src/engine/tf/backends'
import { loadBlasAddon } from '../../src/engine/tf/blasAddon'

function run(optimizer: tf.Optimizer, steps: number): Float32Array[] {
  const a = tf.variable(
    tf.tensor2d([
      [0.5, -1.5, 2],
      [0.1, 0, -0.3],
    ]),
    true,
    `a${Math.random()}`,
  )
  const b = tf.variable(tf.tensor1d([3, -2]), true, `b${Math.random()}`)
  for (let i = 0; i < steps; i++) {
    optimizer.minimize(
      () =>
        a
          .square()
          .sum()
          .add(b.sub(1).abs().sum())
          .add(a.mul(b.reshape([2, 1])).sum()) as tf.Scalar,
      false,
      [a, b],
    )
  }
  return [a.dataSync() as Float32Array, b.dataSync() as Float32Array]
}

describe('CpuAdam', () => {
  it('matches tf.train.adam step for step', async () => {
    await useBackend('cpu')
    const ours = run(new CpuAdam(0.05, 0.5), 20)
    const theirs = run(tf.train.adam(0.05, 0.5), 20)
    // tfjs rounds every intermediate to float32, this loop works in doubles: close, not equal.
    ours.forEach((values, i) => values.forEach((v, k) => expect(v).toBeCloseTo(theirs[i][k], 4)))
    expect(makeAdam(0.1, 0.5)).toBeInstanceOf(CpuAdam)
  })

  it('continues exactly after getWeights → setWeights', async () => {
    await useBackend('cpu')
    const straight = new CpuAdam(0.05, 0.5)
    const a = tf.variable(tf.tensor1d([1, 2, 3]), true, 'adam-a')
    const loss = () =>
      a
        .sub(tf.tensor1d([3, 2, 1]))
        .square()
        .sum() as tf.Scalar
    for (let i = 0; i < 3; i++) straight.minimize(loss, false, [a])
    const restored = new CpuAdam(0.05, 0.5)
    const saved = await straight.getWeights()
    expect(saved.map((w) => w.name)).toEqual(['iter', 'adam-a/m', 'adam-a/v'])
    await restored.setWeights(saved)
    const snapshot = a.dataSync().slice()
    straight.minimize(loss, false, [a])
    const afterStraight = a.dataSync().slice()
    a.assign(tf.tensor1d(snapshot))
    restored.minimize(loss, false, [a])
    expect(Array.from(a.dataSync())).toEqual(Array.from(afterStraight))
  })

  const addon = loadBlasAddon().addon
  it.skipIf(!addon)('with the native addon (threaded, in place) makes the same updates, shared weights included', async () => {
    await useBackend('cpu+blas')
    const ours = makeAdam(0.05, 0.5)
    expect(ours).toBeInstanceOf(CpuAdam)
    const mine = run(ours, 20)
    const theirs = run(tf.train.adam(0.05, 0.5), 20)
    mine.forEach((values, i) => values.forEach((v, k) => expect(v).toBeCloseTo(theirs[i][k], 4)))

    // A large variable (split across threads) and one whose array another tensor shares.
    const big = tf.variable(tf.randomNormal([600, 700], 0, 1, 'float32', 3), true, 'adam-big')
    const shared = tf.variable(tf.tensor1d([1, 2, 3]), true, 'adam-shared')
    const alias = shared.reshape([3]) // shares the variable's data
    const target = tf.randomNormal([600, 700], 0, 1, 'float32', 4)
    const loss = () => big.sub(target).square().mean().add(shared.square().sum()) as tf.Scalar
    const reference = tf.train.adam(0.01, 0.5)
    const bigCopy = tf.variable(big.clone(), true, 'adam-big-ref')
    const sharedCopy = tf.variable(shared.clone(), true, 'adam-shared-ref')
    const lossCopy = () => bigCopy.sub(target).square().mean().add(sharedCopy.square().sum()) as tf.Scalar
    const fast = makeAdam(0.01, 0.5)
    for (let i = 0; i < 5; i++) {
      fast.minimize(loss, false, [big, shared])
      reference.minimize(lossCopy, false, [bigCopy, sharedCopy])
    }
    const difference = tf.tidy(() => big.sub(bigCopy).abs().max().dataSync()[0])
    expect(difference).toBeLessThan(1e-5)
    expect(tf.tidy(() => big.sub(target).abs().mean().dataSync()[0])).toBeLessThan(
      tf.tidy(() => tf.randomNormal([600, 700], 0, 1, 'float32', 3).sub(target).abs().mean().dataSync()[0]),
    )
    Array.from(shared.dataSync()).forEach((v, k) => expect(v).toBeCloseTo(sharedCopy.dataSync()[k], 5))
    expect(Array.from(alias.dataSync())).toEqual([1, 2, 3]) // the alias kept its values
    tf.dispose([big, shared, alias, target, bigCopy, sharedCopy])
  })
})
