/** The contract schema's complaints about a form, in words, by field (not "expected number, received null"). */
import { issueText, type Issue } from '$shared/problems'

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
  ages: 'Target ages',
  variations: 'Variations each',
  iterations: 'Iterations',
  strength: 'Strength',
  paths: 'Photos or folders',
  outDir: 'Output folder',
}

function say(issue: Issue): string {
  const field = String(issue.path[0] ?? '')
  return `${LABELS[field] ?? field}: ${issueText(issue)}`
}

/** One sentence per field, the first problem of each. */
export function fieldProblems(issues: readonly Issue[]): Record<string, string> {
  const problems: Record<string, string> = {}
  for (const issue of issues) problems[String(issue.path[0] ?? '')] ??= say(issue)
  return problems
}
