import { AGE_BINS } from '../../../shared/ageBins'

export const binLabel = (bin: number | null): string => (bin === null ? 'unlabelled' : AGE_BINS[bin])

export function formatDuration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '…'
  if (seconds < 60) return `${Math.ceil(seconds)} s`
  const minutes = Math.floor(seconds / 60)
  return minutes < 60 ? `${minutes} min ${Math.round(seconds % 60)} s` : `${Math.floor(minutes / 60)} h ${minutes % 60} min`
}

/** Where an age came from, in words; the UI always shows it next to the age. */
export const AGE_SOURCE_TEXT: Record<string, string> = {
  label: 'dataset label',
  filename: 'from file name',
  estimate: 'estimated',
  manual: 'set by hand',
}
