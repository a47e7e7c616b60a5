/** A contract schema's complaint in words ("at least 2."), not zod's "✖ Too small: expected number to be >=2". */
import type { z } from 'zod'

export type Issue = z.core.$ZodIssue

/** What is wrong with one value, as the end of a sentence that starts with its name. */
export function issueText(issue: Issue): string {
  switch (issue.code) {
    // A number input left empty binds null: the schema expected a number.
    case 'invalid_type':
      return issue.expected === 'int' ? 'a whole number, please.' : issue.expected === 'number' ? 'enter a number.' : `expected ${issue.expected}.`
    case 'too_small':
      if (issue.origin === 'array' || issue.origin === 'set') return `pick at least ${issue.minimum}.`
      if (issue.origin === 'string') return `at least ${issue.minimum} characters.`
      return issue.inclusive === false ? `more than ${issue.minimum}.` : `at least ${issue.minimum}.`
    case 'too_big': {
      const most = Number(issue.maximum).toLocaleString('en')
      if (issue.origin === 'array' || issue.origin === 'set') return `at most ${most} of them.`
      if (issue.origin === 'string') return `at most ${most} characters.`
      return issue.inclusive === false ? `less than ${most}.` : `at most ${most}.`
    }
    case 'unrecognized_keys':
      return `unknown field${issue.keys.length === 1 ? '' : 's'} ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}.`
    case 'invalid_value':
      return `one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}.`
    default:
      return `${issue.message.replace(/\.$/, '')}.`
  }
}

/** Where an issue is in the input, as a reader writes it: ages[2], view.width. */
export const issuePath = (issue: Issue): string =>
  issue.path.map((part, i) => (typeof part === 'number' ? `[${part}]` : `${i ? '.' : ''}${String(part)}`)).join('')

/** A whole request's problems in one plain line: "batch.run: ages[0]: at most 120." */
export function requestProblems(name: string, issues: readonly Issue[]): string {
  const said = issues.slice(0, 3).map((issue) => (issue.path.length ? `${issuePath(issue)}: ${issueText(issue)}` : issueText(issue)))
  return `${name}: ${said.join(' ')}${issues.length > 3 ? ` (and ${issues.length - 3} more)` : ''}`
}
