// The evaluation's arithmetic on hand-made judgements: shares, means and per-bin splits.
import { describe, expect, it } from 'vitest'
import { summarize, type FaceJudgement } from '../../src/engine/evaluation/metrics'
import { summarizeExports, type PhotoJudgement } from '../../src/engine/evaluation/exportMetrics'

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

describe('summarizeExports', () => {
  const photo = (inputJudgedAge: number, exports: [number, number, number, number, boolean, number | null][]): PhotoJudgement => ({
    file: 'f',
    sourceAge: 30,
    inputJudgedAge,
    exports: exports.map(([age, similarity, judgedAge, artifacts, faceFound, impostor]) => ({ age, similarity, judgedAge, artifacts, faceFound, impostor })),
  })
  const photos = [
    photo(30, [
      [10, 0.9, 22, 1, true, 0.1], // judged 22: not in 0–18
      [70, 0.5, 61, 3, true, 0.7], // not the same person; in 60+; blotchy; the impostor passes
    ]),
    photo(40, [
      [10, 0.8, 17.6, 0.5, true, 0.2], // rounds to 18: in 0–18
      [70, 0.7, 50, 2, false, null], // no face found any more
    ]),
  ]
  const x = summarizeExports(photos, 1, { threshold: 0.61, iterations: 5, strength: 1, targets: [10, 70], sheet: 'runs/r/s.png' })

  it('pools every export, and pairs only the exports that have an impostor', () => {
    expect(x).toMatchObject({ photos: 2, skipped: 1, iterations: 5, strength: 1, exports: 4, faceLost: 1, sheet: 'runs/r/s.png' })
    expect(x.verified).toMatchObject({ verified: 0.75, pairs: 4 })
    expect(x.verified.similarity).toBeCloseTo(0.725)
    expect(x.impostor.pairs).toBe(3)
    expect(x.impostor.verified).toBeCloseTo(1 / 3)
    expect(x.shift).toBeCloseTo((22 - 30 + 61 - 30 + 17.6 - 40 + 50 - 40) / 4)
    expect(x.artifacts).toBeCloseTo(6.5 / 4)
    expect(x.blotchy).toBe(0.25)
  })

  it('splits by target: bin, judged age and its spread, in-bin share, shift, lost faces', () => {
    const [young, old] = x.perTarget
    expect(young).toMatchObject({ age: 10, bin: 0, exports: 2, inBin: 0.5, faceLost: 0 })
    expect(young.judgedAge).toBeCloseTo(19.8)
    expect(young.judgedAgeSpread).toBeCloseTo(2.2)
    expect(young.shift).toBeCloseTo((22 - 30 + 17.6 - 40) / 2)
    expect(old).toMatchObject({ age: 70, bin: 5, exports: 2, inBin: 0.5, faceLost: 1, artifacts: 2.5 })
    expect(old.verified.verified).toBe(0.5)
  })

  it('reads an empty evaluation as zeros, not NaN', () => {
    const none = summarizeExports([], 3, { threshold: 0.61, iterations: 0, strength: 1, targets: [10], sheet: null })
    expect(none).toMatchObject({ photos: 0, skipped: 3, exports: 0, shift: 0, artifacts: 0, blotchy: 0 })
    expect(none.perTarget[0]).toMatchObject({ exports: 0, judgedAge: 0, judgedAgeSpread: 0, inBin: 0 })
  })
})
