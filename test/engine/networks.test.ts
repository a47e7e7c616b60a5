// The paper preset is the table in docs/architecture.md exactly; smaller presets and 128 px keep the topology.
import * as tf from '@tensorflow/tfjs'
import { describe, expect, it } from 'vitest'
import { buildDiscriminator, buildEncoder, buildGenerator } from '../../src/engine/model/networks'
import { preset } from '../../src/engine/model/presets'

/** [class, output shape] of every layer, input layers left out. */
const layers = (model: tf.LayersModel) =>
  model.layers.filter((l) => l.getClassName() !== 'InputLayer').map((l) => [l.getClassName(), (l.outputShape as number[]).slice(1)])

describe('the paper preset', () => {
  it('G: concat(z, y) → Dense 2048 → … → 8×8×256 → 16×16×128 → 32×32×64 → 64×64×3 tanh', () => {
    const g = buildGenerator(preset('paper'))
    expect(layers(g)).toEqual([
      ['Concatenate', [106]],
      ['Dense', [2048]],
      ['LeakyReLU', [2048]],
      ['Dropout', [2048]],
      ['Dense', [16384]],
      ['BatchNormalization', [16384]],
      ['LeakyReLU', [16384]],
      ['Dropout', [16384]],
      ['Reshape', [8, 8, 256]],
      ['UpSampling2D', [16, 16, 256]],
      ['Conv2D', [16, 16, 128]],
      ['BatchNormalization', [16, 16, 128]],
      ['LeakyReLU', [16, 16, 128]],
      ['UpSampling2D', [32, 32, 128]],
      ['Conv2D', [32, 32, 64]],
      ['BatchNormalization', [32, 32, 64]],
      ['LeakyReLU', [32, 32, 64]],
      ['UpSampling2D', [64, 64, 64]],
      ['Conv2D', [64, 64, 3]],
    ])
    const convs = g.layers.filter((l) => l.getClassName() === 'Conv2D').map((l) => l.getConfig())
    expect(convs.map((c) => c.kernelSize)).toEqual([
      [5, 5],
      [5, 5],
      [5, 5],
    ])
    expect(convs.at(-1)!.activation).toBe('tanh')
    expect(g.layers.find((l) => l.getClassName() === 'LeakyReLU')!.getConfig().alpha).toBeCloseTo(0.2)
    expect(g.layers.find((l) => l.getClassName() === 'Dropout')!.getConfig().rate).toBeCloseTo(0.2)
    g.dispose()
  })

  it('D: Conv 64 k3 s2 → concat y tiled 32×32×6 → 128 → 256 → 512 (k3 s2, BN) → Dense 1', () => {
    const d = buildDiscriminator(preset('paper'))
    const shapes = layers(d)
    expect(shapes[0]).toEqual(['Conv2D', [32, 32, 64]])
    expect(shapes).toContainEqual(['LeakyReLU', [32, 32, 64]]) // and no batch norm at that size
    expect(shapes).not.toContainEqual(['BatchNormalization', [32, 32, 64]])
    expect(shapes).toContainEqual(['Concatenate', [32, 32, 70]])
    expect(shapes.filter(([name]) => name === 'Conv2D').map(([, shape]) => shape)).toEqual([
      [32, 32, 64],
      [16, 16, 128],
      [8, 8, 256],
      [4, 4, 512],
    ])
    expect(shapes.filter(([name]) => name === 'BatchNormalization')).toHaveLength(3)
    expect(shapes.at(-1)).toEqual(['Dense', [1]])
    expect(
      d.layers
        .filter((l) => l.getClassName() === 'Conv2D')
        .every((l) => JSON.stringify(l.getConfig().kernelSize) === '[3,3]' && JSON.stringify(l.getConfig().strides) === '[2,2]'),
    ).toBe(true)
    d.dispose()
  })

  it('E: Conv 32, 64, 128, 256 (k5 s2, BN after the first) → Dense 4096 → BN → Dense 100', () => {
    const e = buildEncoder(preset('paper'))
    const shapes = layers(e)
    expect(shapes.filter(([name]) => name === 'Conv2D').map(([, shape]) => shape)).toEqual([
      [32, 32, 32],
      [16, 16, 64],
      [8, 8, 128],
      [4, 4, 256],
    ])
    expect(shapes.filter(([name]) => name === 'BatchNormalization')).toHaveLength(4)
    expect(shapes[1][0]).toBe('LeakyReLU') // no BN after the first convolution
    expect(shapes.slice(-4)).toEqual([
      ['Dense', [4096]],
      ['BatchNormalization', [4096]],
      ['LeakyReLU', [4096]],
      ['Dense', [100]],
    ])
    e.dispose()
  })
})

describe('other presets', () => {
  it('keep the topology with fewer channels, and 128 px adds one up/down block', () => {
    for (const name of ['compact', 'tiny'] as const) {
      const g = buildGenerator(preset(name))
      expect(layers(g).map(([cls]) => cls)).toEqual(layers(buildGenerator(preset('paper'))).map(([cls]) => cls))
      g.dispose()
    }
    const p = preset('tiny', 128)
    const g = buildGenerator(p)
    const d = buildDiscriminator(p)
    const e = buildEncoder(p)
    expect(g.outputs[0].shape).toEqual([null, 128, 128, 3])
    expect(g.layers.filter((l) => l.getClassName() === 'UpSampling2D')).toHaveLength(4)
    expect(d.layers.filter((l) => l.getClassName() === 'Conv2D')).toHaveLength(5)
    expect(e.layers.filter((l) => l.getClassName() === 'Conv2D')).toHaveLength(5)
    expect(d.outputs[0].shape).toEqual([null, 1])
    expect(e.outputs[0].shape).toEqual([null, 100])
    for (const m of [g, d, e]) m.dispose()
  })
})
