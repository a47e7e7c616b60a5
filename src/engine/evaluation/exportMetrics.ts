/** From per-photo judgements of the exports to the evaluation's export table: pure arithmetic, unit-tested. */
import { ageToBin } from '../../shared/ageBins'
import { BLOTCHY } from '../../shared/aging'
import type { ExportEvaluation, ExportTargetEvaluation } from '../../shared/exportEvaluation'
import { verification } from './metrics'

/** What the judges said about one export of one held-out photo. */
export interface ExportJudgement {
  age: number
  similarity: number
  judgedAge: number
  artifacts: number
  /** Whether the face detector still finds a face in the exported photo. */
  faceFound: boolean
  /** The export against another photo's input face (null with a single photo). */
  impostor: number | null
}

export interface PhotoJudgement {
  file: string
  /** The face's age as the editor and batch take it (label, stored estimate or estimate), and the age judge on the input. */
  sourceAge: number
  inputJudgedAge: number
  exports: ExportJudgement[]
}

const mean = (values: number[]) => (values.length ? values.reduce((s, v) => s + v, 0) / values.length : 0)
const spreadOf = (values: number[]) => {
  const m = mean(values)
  return Math.sqrt(mean(values.map((v) => (v - m) ** 2)))
}
const inBin = (judged: number, target: number) => ageToBin(Math.max(0, Math.min(120, Math.round(judged)))) === ageToBin(target)

interface Judged extends ExportJudgement {
  shift: number
}

function targetRow(age: number, all: Judged[], threshold: number): ExportTargetEvaluation {
  const rows = all.filter((e) => e.age === age)
  return {
    age,
    bin: ageToBin(age) ?? 0,
    exports: rows.length,
    verified: verification(
      rows.map((e) => e.similarity),
      threshold,
    ),
    judgedAge: mean(rows.map((e) => e.judgedAge)),
    judgedAgeSpread: spreadOf(rows.map((e) => e.judgedAge)),
    inBin: mean(rows.map((e) => (inBin(e.judgedAge, age) ? 1 : 0))),
    shift: mean(rows.map((e) => e.shift)),
    artifacts: mean(rows.map((e) => e.artifacts)),
    faceLost: rows.filter((e) => !e.faceFound).length,
  }
}

export function summarizeExports(
  photos: PhotoJudgement[],
  skipped: number,
  {
    threshold,
    iterations,
    strength,
    targets,
    sheet,
  }: { threshold: number; iterations: number; strength: number; targets: readonly number[]; sheet: string | null },
): ExportEvaluation {
  const all: Judged[] = photos.flatMap((photo) => photo.exports.map((e) => ({ ...e, shift: e.judgedAge - photo.inputJudgedAge })))
  return {
    photos: photos.length,
    skipped,
    iterations,
    strength,
    exports: all.length,
    verified: verification(
      all.map((e) => e.similarity),
      threshold,
    ),
    impostor: verification(
      all.flatMap((e) => (e.impostor === null ? [] : [e.impostor])),
      threshold,
    ),
    shift: mean(all.map((e) => e.shift)),
    artifacts: mean(all.map((e) => e.artifacts)),
    blotchy: mean(all.map((e) => (e.artifacts >= BLOTCHY ? 1 : 0))),
    faceLost: all.filter((e) => !e.faceFound).length,
    perTarget: targets.map((age) => targetRow(age, all, threshold)),
    sheet,
  }
}
