/** Which model to age with, and how the pickers name one. Pure: unit-tested in Node. */
import type { AgingModelChoice } from '$shared/aging'

/** A model bundle's run origin: "bundle:" and the model hash. */
const BUNDLE = 'bundle:'

/**
 * The model to start with: the newest encoder checkpoint of a finished run (an imported bundle is
 * one), not the newest checkpoint of whatever is still training.
 */
export function defaultModel(models: AgingModelChoice[]): AgingModelChoice | null {
  return models.find((m) => m.runStatus === 'done') ?? models[0] ?? null
}

/** "Baseline · tiny · step 400 · Dec 1, 10:24" (the run's name, else its id), or "imported 1a2b3c4d · paper · step …". */
export function modelLabel(m: AgingModelChoice): string {
  const name = m.origin?.startsWith(BUNDLE)
    ? `imported ${m.origin.slice(BUNDLE.length, BUNDLE.length + 8)}`
    : m.origin?.startsWith('kit:')
      ? `${m.runName ?? m.runId} (kit)`
      : (m.runName ?? m.runId)
  const when = new Date(m.createdAt.endsWith('Z') ? m.createdAt : `${m.createdAt}Z`)
  const date = Number.isNaN(when.getTime()) ? '' : ` · ${when.toLocaleString([], { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' })}`
  return `${name} · ${m.preset} · step ${m.step}${m.runStatus === 'done' ? '' : ` (${m.runStatus})`}${date}`
}
