/**
 * Network sizes as data. `paper` is the table in docs/architecture.md exactly; `compact` and `tiny` keep the
 * topology with fewer channels. imageSize 128 adds one up/down block to every network.
 */
import type { PresetName } from '../../shared/training'

export interface Preset {
  name: PresetName
  imageSize: 64 | 128
  zDim: number
  bins: number
  encoder: { convs: number[]; dense: number }
  generator: { dense: number; base: number; ups: number[]; dropout: number }
  discriminator: { first: number; convs: number[] }
  bnMomentum: number
}

const BASE: Record<PresetName, Omit<Preset, 'imageSize'>> = {
  paper: {
    name: 'paper',
    zDim: 100,
    bins: 6,
    encoder: { convs: [32, 64, 128, 256], dense: 4096 },
    generator: { dense: 2048, base: 256, ups: [128, 64], dropout: 0.2 },
    discriminator: { first: 64, convs: [128, 256, 512] },
    bnMomentum: 0.9,
  },
  compact: {
    name: 'compact',
    zDim: 100,
    bins: 6,
    encoder: { convs: [16, 32, 64, 128], dense: 512 },
    generator: { dense: 512, base: 128, ups: [64, 32], dropout: 0.2 },
    discriminator: { first: 32, convs: [64, 128, 256] },
    bnMomentum: 0.9,
  },
  tiny: {
    name: 'tiny',
    zDim: 100,
    bins: 6,
    encoder: { convs: [8, 16, 32, 32], dense: 128 },
    generator: { dense: 128, base: 32, ups: [16, 8], dropout: 0.2 },
    discriminator: { first: 8, convs: [16, 32, 32] },
    bnMomentum: 0.9,
  },
}

export function preset(name: PresetName, imageSize: 64 | 128 = 64): Preset {
  const base = structuredClone(BASE[name])
  if (imageSize === 64) return { ...base, imageSize }
  // One more block each: G upsamples 8→…→128, E and D downsample once more.
  const g = base.generator.ups
  const e = base.encoder.convs
  const d = base.discriminator.convs
  return {
    ...base,
    imageSize,
    generator: { ...base.generator, ups: [...g, g.at(-1)! / 2] },
    encoder: { ...base.encoder, convs: [...e, e.at(-1)!] },
    discriminator: { ...base.discriminator, convs: [...d, d.at(-1)!] },
  }
}
