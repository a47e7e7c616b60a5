/**
 * Identity refinement settings compared on the same held-out faces of a trained run (issue 16:
 * faster must not lose identity). Each face is refined alone, as the editor does, from z0 = E(x);
 * per setting: steps taken, the final loss, face-api's distance (what refinement lowers and the
 * editor shows) and the independent judge's verification, for G(z, y0) and the other five ages.
 */
import * as tf from '@tensorflow/tfjs'
import { BIN_COUNT } from '../shared/ageBins'
import { REFINEMENT } from '../shared/aging'
import { JUDGE_CALIBRATION } from '../shared/evaluation'
import { framingOf } from '../shared/framing'
import { TrainConfigSchema } from '../shared/training'
import { judgeView } from '../engine/aging/judgeView'
import { LatentOptimizer } from '../engine/aging/latentOptimizer'
import { loadAgingModel, pickCheckpoint } from '../engine/aging/model'
import { Catalog } from '../engine/catalog/catalog'
import { FileStore } from '../engine/catalog/files'
import { heldOutFaces, JUDGED_SIDE, masterOf } from '../engine/evaluation/evaluate'
import { Judges } from '../engine/evaluation/judges'
import { FaceRecognizer } from '../engine/faces/recognizer'
import { useBackend } from '../engine/tf/backends'
import { oneHot, trainingPixels } from '../engine/training/data'

export interface RefineSetting {
  iterations: number
  learningRate: number
  learningRateEnd?: number
  patience?: number
  /** The recognizer's input side during refinement (its own is 150). */
  recognizerSide?: number
}

/**
 * Today's default, the faster candidate issue 16 measured, and none. (The recognizer run at 112 px
 * was measured too and lost identity: `recognizerSide` stays settable for such comparisons.)
 */
export const SETTINGS: RefineSetting[] = [{ ...REFINEMENT }, { iterations: 30, learningRate: 0.1, patience: 5 }, { iterations: 0, learningRate: 0 }]

interface Totals {
  steps: number
  loss: number
  distance: number
  agedDistance: number
  verified: number
  agedVerified: number
  similarity: number
  agedSimilarity: number
}

const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length

export async function benchRefineQuality(
  home: string,
  runId: string,
  faceCount: number,
  split: 'val' | 'test' = 'val',
  settings = SETTINGS,
): Promise<string[]> {
  const backend = await useBackend()
  const catalog = Catalog.open(home)
  const { run, checkpoint } = pickCheckpoint(catalog, runId)
  const config = TrainConfigSchema.parse(run.config)
  const faces = heldOutFaces(catalog, { runId, split, faces: faceCount, iterations: 0, exports: 0, exportStrength: 1 }, config, run.origin !== null)
  const model = await loadAgingModel(home, catalog, run.id, checkpoint.id)
  const [judges, recognizer] = [await Judges.load(), await FaceRecognizer.load()]
  const optimizer = new LatentOptimizer(model.generator, model.encoder, recognizer)
  const [size, framing, files] = [model.imageSize, framingOf(config), new FileStore(home)]
  const totals = settings.map(() => [] as Totals[])
  const times = settings.map(() => 0)
  try {
    for (const face of faces) {
      const pixels = await trainingPixels(files, face, size, framing)
      const view = judgeView(framing, size, framing === 'full' ? [] : [await masterOf(files, face)], JUDGED_SIDE)
      const x = tf.tidy(() => tf.tensor4d(pixels, [1, size, size, 3], 'float32').div(127.5).sub(1) as tf.Tensor4D)
      const y0 = oneHot([face.bin], BIN_COUNT)
      const z0 = tf.tidy(() => model.encoder.apply(x, { training: false }) as tf.Tensor2D)
      const [input, described] = tf.tidy(() => [judges.identity(view(x)), recognizer.describe(x)])
      for (const [k, setting] of settings.entries()) {
        const start = performance.now()
        const mode = setting.iterations === 0 ? 'none' : 'identity'
        const result = await optimizer.optimize(x, y0, { mode, ...setting, z0 })
        times[k] += performance.now() - start
        const scores = Array.from({ length: BIN_COUNT }, (_, bin) =>
          tf.tidy(() => {
            const output = model.generator.apply([result.z, oneHot([bin], BIN_COUNT)], { training: false }) as tf.Tensor4D
            const distance = FaceRecognizer.distance(described, recognizer.describe(output)).dataSync()[0]
            return { distance, similarity: Judges.similarity(input, judges.identity(view(output))).dataSync()[0] }
          }),
        )
        const own = scores[face.bin]
        const aged = scores.filter((_, bin) => bin !== face.bin)
        totals[k].push({
          steps: result.losses.length,
          loss: result.losses.at(-1) ?? NaN,
          distance: own.distance,
          agedDistance: mean(aged.map((s) => s.distance)),
          verified: Number(Judges.verified(own.similarity)),
          agedVerified: mean(aged.map((s) => Number(Judges.verified(s.similarity)))),
          similarity: own.similarity,
          agedSimilarity: mean(aged.map((s) => s.similarity)),
        })
        tf.dispose([result.z, result.z0])
      }
      tf.dispose([x, y0, z0, input, described])
    }
  } finally {
    model.dispose()
    judges.dispose()
    catalog.close()
  }
  const pct = (v: number) => `${(100 * v).toFixed(1)}%`
  const lines = [
    `identity refinement settings on ${faces.length} ${split} faces of ${run.id} (checkpoint ${checkpoint.id}, ${size} px) on ${backend.name}; judge threshold ${JUDGE_CALIBRATION.identityThreshold}:`,
    '  steps≤ · lr · patience · recognizer side | steps run · final loss | face-api distance own age / aged | judge verified own age / aged (mean similarity) | ms per face',
  ]
  for (const [k, setting] of settings.entries()) {
    const t = totals[k]
    const m = (key: keyof Totals) => mean(t.map((row) => row[key]))
    lines.push(
      `  ${setting.iterations} · ${setting.learningRate} · ${setting.patience ?? '-'} · ${setting.recognizerSide ?? 150} | ${m('steps').toFixed(1)} · ${m('loss').toFixed(3)} | ${m('distance').toFixed(3)} / ${m('agedDistance').toFixed(3)} | ${pct(m('verified'))} / ${pct(m('agedVerified'))} (${m('similarity').toFixed(3)} / ${m('agedSimilarity').toFixed(3)}) | ${(times[k] / t.length).toFixed(0)}`,
    )
  }
  return lines
}
