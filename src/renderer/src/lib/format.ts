import { AGE_BINS } from '$shared/ageBins'

export const binLabel = (bin: number | null): string => (bin === null ? 'unlabelled' : AGE_BINS[bin])

/** "45 s", "2 min 5 s", "3 h 20 min": rounded once, up, so 119.6 s is "2 min 0 s", never "1 min 60 s". */
export function formatDuration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '…'
  const total = Math.max(0, Math.ceil(seconds))
  if (total < 60) return `${total} s`
  const minutes = Math.floor(total / 60)
  return minutes < 60 ? `${minutes} min ${total % 60} s` : `${Math.floor(minutes / 60)} h ${minutes % 60} min`
}

/** Seconds a run has trained, paused time left out, ticking while it runs; null when not known (an import with no history). */
export function trainedSeconds(run: { trainedSeconds: number | null; runningSince: string | null; status: string }, now: number): number | null {
  if (run.trainedSeconds === null) return null
  const open = run.runningSince && run.status === 'running' ? Math.max(0, now - Date.parse(run.runningSince)) / 1000 : 0
  return run.trainedSeconds + open
}

/** Where an age came from, in words; the UI always shows it next to the age. */
/**
 * The Library's count line. Files refused at import stay in the catalog (so the next import skips
 * them) and in the grid, but they are no faces: the line says how many of its entries are which.
 */
export function libraryCount(matching: number, total: number, refused: number, bin: number | null): string {
  const aged = bin === null ? '' : ` aged ${binLabel(bin)}`
  if (!refused) return `${matching} of ${total} images${aged}`
  return `${matching} of ${total} entries${aged} (${total - refused} faces, ${refused} refused file${refused === 1 ? '' : 's'})`
}

export const AGE_SOURCE_TEXT: Record<string, string> = {
  label: 'dataset label',
  filename: 'from file name',
  estimate: 'estimated',
  manual: 'set by hand',
}

export { percent } from '$shared/format'
