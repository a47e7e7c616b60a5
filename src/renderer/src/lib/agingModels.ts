/** The models that can age a face, as the editor and batch list them: following training live. */
import { studio } from './client'

/**
 * Calls `reload` when a run writes an encoder checkpoint or stops running, at most once a second
 * (a fast run writes checkpoints many times a second); returns the unsubscribe.
 */
export function followAgingModels(reload: () => void): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined
  const soon = () => (timer ??= setTimeout(() => ((timer = undefined), reload()), 1000))
  const offs = [
    studio.on('run.checkpoint', (c) => c.phase === 'encoder' && soon()),
    studio.on('run.status', (s) => s.status !== 'running' && soon()),
    studio.on('run.changed', () => soon()),
  ]
  return () => (offs.forEach((off) => off()), clearTimeout(timer))
}
