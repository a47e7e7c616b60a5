/** Requests between views: the Training view asks the editor to open one of a run's checkpoints. */
export interface ModelRef {
  runId: string
  checkpointId?: number
}

let pending: ModelRef | null = null
const listeners = new Set<() => void>()

export function openInEditor(ref: ModelRef): void {
  pending = ref
  for (const listener of listeners) listener()
}

/** The request not yet handled, once. */
export function takeEditorRequest(): ModelRef | null {
  const ref = pending
  pending = null
  return ref
}

/** Called on every request; the editor may not exist yet, so it also takes the pending one when it mounts. */
export function onEditorRequest(listener: () => void): () => void {
  listeners.add(listener)
  return () => listeners.delete(listener)
}
