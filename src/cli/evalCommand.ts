/** `eval`: the independent judges' verdict on a checkpoint, printed as the paper's table. */
import { percent } from '../shared/format'
import type { JobProgress } from '../shared/domain'
import { AGE_BINS } from '../shared/ageBins'
import {
  EVAL_SPLITS,
  evaluationCaveat,
  evaluationFaces,
  IMPOSTOR_EXPLAINED,
  JUDGE_CALIBRATION,
  type EvalSplit,
  type EvaluationMetrics,
  type EvaluationSummary,
  type Verification,
} from '../shared/evaluation'
import { intOption, numberOption, parse, UsageError } from './args'
import { call } from './client'
import type { CommandContext, CommandOutput } from './commands'
import { followJob, timeLeft } from './followJob'
import { BLOTCHY } from '../shared/aging'
import type { ExportEvaluation } from '../shared/exportEvaluation'

const verdict = (v: Verification) =>
  v.pairs === 0
    ? '    no pairs (the split has too few faces)'
    : `${percent(v.verified).padStart(6)} verified, mean similarity ${v.similarity.toFixed(3)} (${v.pairs} pairs)`

/** The evaluation as text: the paper's reconstruction rows, aged outputs, then per bin. */
export function evaluationTable(e: EvaluationSummary): string {
  const m = e.metrics
  const lines = [
    `${e.runId}, checkpoint ${e.checkpointId} (${e.phase} step ${e.step}), ${e.split} split: ${m.faces} faces, ${m.iterations} refinement steps`,
    `Judges: ${JUDGE_CALIBRATION.judges}; same person when cosine similarity ≥ ${m.threshold} (false-accept rate ${JUDGE_CALIBRATION.falseAcceptRate} on impostor pairs).`,
    ...[evaluationFaces(e.split, m), evaluationCaveat(m)]
      .filter((line): line is string => line !== null)
      .map((line, i) => (i === 1 ? `Warning: ${line}` : line)),
    '',
    'Identity, input vs reconstruction G(z, y0)        (paper, OpenFace: 53.2% / 59.8% / 82.9%)',
    `  z0 = E(x)          ${verdict(m.reconstruction.z0)}`,
    `  z after pixels     ${verdict(m.reconstruction.pixel)}`,
    `  z after identity   ${verdict(m.reconstruction.identity)}`,
    `Identity, input vs aged to every other bin: ${verdict(m.aged)}`,
    ...(m.impostor ? [`  Impostor baseline ${verdict(m.impostor)}: ${IMPOSTOR_EXPLAINED}`] : []),
    `Age judge: aged outputs in their target bin ${percent(m.agedInBin)}; real faces of this split in their own bin ${percent(m.realInBin)}`,
    '',
    'bin     faces  identity  aged-to kept  aged-to in bin  mean est. age  real in bin  real mean age',
  ]
  for (const b of m.perBin) {
    lines.push(
      `${AGE_BINS[b.bin].padEnd(7)} ${String(b.faces).padStart(5)}  ${percent(b.faces ? b.identity.verified : null).padStart(8)}  ${percent(b.agedTo.pairs ? b.agedTo.verified : null).padStart(12)}  ${percent(b.agedTo.pairs ? b.agedInBin : null).padStart(14)}  ${(b.agedTo.pairs ? b.agedMeanAge.toFixed(1) : '—').padStart(13)}  ${percent(b.realInBin).padStart(11)}  ${(b.realMeanAge === null ? '—' : b.realMeanAge.toFixed(1)).padStart(13)}`,
    )
  }
  if (m.exports) lines.push('', ...exportTable(m.exports, m.perBin))
  lines.push('', `Per-face details: ${e.detailsFile} (under the data directory)`)
  return lines.join('\n')
}

/** The exported photos' table: what a user keeps, per target age, beside the split's real faces of that bin. */
export function exportTable(x: ExportEvaluation, perBin: EvaluationMetrics['perBin']): string[] {
  const skipped = x.skipped
    ? `; ${x.skipped} held-out photo${x.skipped === 1 ? '' : 's'} skipped (demo faces, photos moved or changed since import, or no face found: the details file says which)`
    : ''
  const lines = [
    `Exported photos (full resolution, residual composite, strength ${x.strength}, ${x.iterations} refinement steps): ${x.photos} photos × ${x.perTarget.length} ages = ${x.exports} exports${skipped}`,
  ]
  if (x.exports === 0) return lines
  lines.push(
    `  identity, input face vs exported face   ${verdict(x.verified)}`,
    `  mismatched pairs (another photo's face) ${verdict(x.impostor)}`,
    `  mean shift from the input's judged age ${signed(x.shift)} years; artifacts ${x.artifacts.toFixed(2)} mean, ${percent(x.blotchy)} blotchy (≥ ${BLOTCHY}); no face found any more in ${x.faceLost} of ${x.exports}`,
    '',
    'target  verified  judged age (sd)  in bin  real in bin  shift  artifacts  no face',
  )
  for (const t of x.perTarget) {
    const real = perBin[t.bin]?.realInBin ?? null
    lines.push(
      `${String(t.age).padEnd(6)}  ${percent(t.exports ? t.verified.verified : null).padStart(8)}  ${`${t.judgedAge.toFixed(1)} (${t.judgedAgeSpread.toFixed(1)})`.padStart(15)}  ${percent(t.exports ? t.inBin : null).padStart(6)}  ${percent(real).padStart(11)}  ${signed(t.shift).padStart(5)}  ${t.artifacts.toFixed(2).padStart(9)}  ${String(t.faceLost).padStart(7)}`,
    )
  }
  if (x.sheet) lines.push(`Contact sheet of the exports: ${x.sheet} (and contact-sheet.pdf beside it, under the data directory)`)
  return lines
}

const signed = (v: number) => `${v >= 0 ? '+' : ''}${v.toFixed(1)}`

export async function evaluate({ studio, args, log }: CommandContext): Promise<CommandOutput> {
  const { values, positionals } = parse(args, {
    run: { type: 'string' },
    checkpoint: { type: 'string' },
    split: { type: 'string' },
    n: { type: 'string' },
    iterations: { type: 'string' },
    dataset: { type: 'string' },
    exports: { type: 'string' },
    strength: { type: 'string' },
  })
  if (positionals.length) throw new UsageError('eval takes no arguments beyond its options.')
  if (!values.run) throw new UsageError('eval needs --run RUN_ID; age-studio runs lists them.')
  const split = (values.split ?? 'val') as EvalSplit
  if (!EVAL_SPLITS.includes(split)) throw new UsageError(`--split must be ${EVAL_SPLITS.join(' or ')}: a run is never judged on the faces it trained on.`)
  const following = {
    log,
    line: (p: JobProgress) => (p.done > 0 ? `judged ${p.done}/${p.total} faces and photos${timeLeft(p)}` : null),
    stopping: () => 'stopping the evaluation; nothing is stored',
  }
  const evaluation = await followJob(studio, 'evaluate', following, () =>
    call(studio, 'runs.evaluate', {
      runId: values.run!,
      checkpointId: intOption('checkpoint', values.checkpoint),
      split,
      faces: intOption('n', values.n, { min: 1, max: 2000 }),
      iterations: intOption('iterations', values.iterations, { min: 0, max: 500 }),
      datasetId: intOption('dataset', values.dataset, { min: 1, max: Number.MAX_SAFE_INTEGER }),
      exports: intOption('exports', values.exports, { min: 0, max: 500 }),
      exportStrength: numberOption('strength', values.strength),
    }),
  )
  return { json: evaluation, text: evaluationTable(evaluation) }
}
