// The evaluation's arithmetic on hand-made judgements: shares, means and per-bin splits.
import { describe, expect, it } from 'vitest'
import { summarize, type FaceJudgement } from '../../src/engine/evaluation/metrics'

const face = (bin: number, estimatedAge: number, identity: number, aged: [number, number, number][], impostor: number | null = null): FaceJudgement => ({
  file: `f${bin}`,
  bin,
  estimatedAge,
  similarity: { z0: identity - 0.2, pixel: identity - 0.1, identity },
  aged: aged.map(([b, similarity, age]) => ({ bin: b, similarity, estimatedAge: age })),
  impostor,
})

describe('summarize', () => {
  const faces = [
    face(1, 25, 0.8, [
      [0, 0.7, 12],
      [5, 0.4, 58],
    ]), // aged to 60+ but read as 58: not in bin
    face(
      3,
      52,
      0.5,
      [
        [0, 0.65, 16],
        [5, 0.62, 71],
      ],
      0.3,
    ), // a 40–49 face read as 52: not in its bin
    face(2, 33, 0.7, [], 0.65), // an impostor over the threshold
  ]
  const m = summarize(faces, 0.61, 30)

  it('counts verified pairs against the threshold, with mean similarities', () => {
    expect(m.reconstruction.identity).toEqual({ verified: 2 / 3, similarity: 2 / 3, pairs: 3 })
    expect(m.reconstruction.z0.verified).toBe(0)
    expect(m.aged).toEqual({ verified: 0.75, similarity: (0.7 + 0.4 + 0.65 + 0.62) / 4, pairs: 4 })
    // Impostor pairs: only the faces that had one (a chunk of one face has none).
    expect(m.impostor).toEqual({ verified: 0.5, similarity: (0.3 + 0.65) / 2, pairs: 2 })
  })

  it('puts aged outputs in their target bin by the estimated age, beside the real faces', () => {
    expect(m.agedInBin).toBe(0.75)
    expect(m.realInBin).toBe(2 / 3)
    const [child, , , forties, , old] = m.perBin
    expect(child).toMatchObject({ faces: 0, agedInBin: 1, agedMeanAge: 14, realInBin: null, realMeanAge: null })
    expect(child.agedTo).toEqual({ verified: 1, similarity: 0.675, pairs: 2 })
    expect(old).toMatchObject({ agedInBin: 0.5, agedMeanAge: 64.5 })
    expect(forties).toMatchObject({ faces: 1, realInBin: 0, realMeanAge: 52 })
    expect(forties.identity).toEqual({ verified: 0, similarity: 0.5, pairs: 1 })
    expect(m.perBin[2].agedTo.pairs).toBe(0)
  })
})
