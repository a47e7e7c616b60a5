/** The contract schema's complaints about a form, in words, by field (not "expected number, received null"). */
import type { z } from 'zod'

type Issue = z.core.$ZodIssue

const LABELS: Record<string, string> = {
  steps: 'Steps',
  encoderSteps: 'Encoder steps',
  batch: 'Batch',
  seed: 'Seed',
  lrG: 'lr G',
  lrD: 'lr D',
  lrE: 'lr E',
  labelSmoothing: 'Label smoothing',
  sampleEvery: 'Sample every',
  checkpointEvery: 'Checkpoint every',
  splits: 'Splits',
  bins: 'Age bins',
  ageSources: 'Age sources',
  maxFill: 'Max fill',
}

function say(issue: Issue): string {
  const field = String(issue.path[0] ?? '')
  const label = LABELS[field] ?? field
  // A number input left empty binds null: the schema expected a number.
  if (issue.code === 'invalid_type') return issue.expected === 'int' ? `${label}: a whole number, please.` : `${label}: enter a number.`
  if (issue.code === 'too_small') {
    if (issue.origin === 'array') return `${label}: pick at least ${issue.minimum}.`
    return issue.inclusive === false ? `${label}: more than ${issue.minimum}.` : `${label}: at least ${issue.minimum}.`
  }
  if (issue.code === 'too_big') return `${label}: at most ${Number(issue.maximum).toLocaleString('en')}.`
  return `${label}: ${issue.message}`
}

/** One sentence per field, the first problem of each. */
export function fieldProblems(issues: readonly Issue[]): Record<string, string> {
  const problems: Record<string, string> = {}
  for (const issue of issues) problems[String(issue.path[0] ?? '')] ??= say(issue)
  return problems
}
