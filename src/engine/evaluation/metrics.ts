/** From per-face judgements to the evaluation's numbers: pure arithmetic, unit-tested. */
import { ageToBin, BIN_COUNT } from '../../shared/ageBins'
import type { BinEvaluation, EvaluationMetrics, Verification } from '../../shared/evaluation'

/** What the judges said about one input face. */
export interface FaceJudgement {
  file: string
  bin: number
  /** The age judge on the real face. */
  estimatedAge: number
  /** Cosine similarity of the input to G(z0, y0), G(z_pixel, y0) and G(z_id, y0). */
  similarity: { z0: number; pixel: number; identity: number }
  /** G(z_id, y_t) for every bin t other than the face's own. */
  aged: { bin: number; similarity: number; estimatedAge: number }[]
  /** Another input face of the chunk, judged as the outputs are (null when the chunk had one face). */
  impostor: number | null
}

const mean = (values: number[]) => (values.length ? values.reduce((s, v) => s + v, 0) / values.length : 0)

export function verification(similarities: number[], threshold: number): Verification {
  return { verified: mean(similarities.map((s) => (s >= threshold ? 1 : 0))), similarity: mean(similarities), pairs: similarities.length }
}

const inBin = (age: number, bin: number) => ageToBin(Math.round(age)) === bin

export function summarize(faces: FaceJudgement[], threshold: number, iterations: number): EvaluationMetrics {
  const aged = faces.flatMap((face) => face.aged)
  const perBin: BinEvaluation[] = Array.from({ length: BIN_COUNT }, (_, bin) => {
    const own = faces.filter((face) => face.bin === bin)
    const agedTo = aged.filter((output) => output.bin === bin)
    return {
      bin,
      faces: own.length,
      identity: verification(
        own.map((face) => face.similarity.identity),
        threshold,
      ),
      agedTo: verification(
        agedTo.map((output) => output.similarity),
        threshold,
      ),
      agedInBin: mean(agedTo.map((output) => (inBin(output.estimatedAge, bin) ? 1 : 0))),
      agedMeanAge: mean(agedTo.map((output) => output.estimatedAge)),
      realInBin: own.length ? mean(own.map((face) => (inBin(face.estimatedAge, bin) ? 1 : 0))) : null,
      realMeanAge: own.length ? mean(own.map((face) => face.estimatedAge)) : null,
    }
  })
  return {
    faces: faces.length,
    iterations,
    threshold,
    reconstruction: {
      z0: verification(
        faces.map((face) => face.similarity.z0),
        threshold,
      ),
      pixel: verification(
        faces.map((face) => face.similarity.pixel),
        threshold,
      ),
      identity: verification(
        faces.map((face) => face.similarity.identity),
        threshold,
      ),
    },
    aged: verification(
      aged.map((output) => output.similarity),
      threshold,
    ),
    impostor: verification(
      faces.flatMap((face) => (face.impostor === null ? [] : [face.impostor])),
      threshold,
    ),
    agedInBin: mean(aged.map((output) => (inBin(output.estimatedAge, output.bin) ? 1 : 0))),
    realInBin: mean(faces.map((face) => (inBin(face.estimatedAge, face.bin) ? 1 : 0))),
    perBin,
  }
}
