/** The six Age-cGAN age bins (docs/architecture.md): 0–18, 19–29, 30–39, 40–49, 50–59, 60+. */
export const AGE_BINS = ['0–18', '19–29', '30–39', '40–49', '50–59', '60+'] as const
export const BIN_COUNT = AGE_BINS.length

/** A bin index, 0..5. */
export type AgeBin = 0 | 1 | 2 | 3 | 4 | 5

/** Upper edge (inclusive) of every bin but the last. */
const BIN_UPPER_EDGES = [18, 29, 39, 49, 59] as const

/** Oldest age we accept as a real label; anything above is a parse error, not a person. */
export const MAX_AGE = 120

export function isValidAge(age: number): boolean {
  return Number.isFinite(age) && Number.isInteger(age) && age >= 0 && age <= MAX_AGE
}

/**
 * Maps an age to its bin, or null for an invalid age. Unlike the tutorial code this never
 * falls through to a previous label: a bad age has no bin.
 */
export function ageToBin(age: number): AgeBin | null {
  if (!isValidAge(age)) return null
  const index = BIN_UPPER_EDGES.findIndex((edge) => age <= edge)
  return (index === -1 ? 5 : index) as AgeBin
}

/** Inclusive age range of a bin, used by the demo generator to draw ages. */
export function binAgeRange(bin: AgeBin): [number, number] {
  const low = bin === 0 ? 0 : BIN_UPPER_EDGES[bin - 1] + 1
  const high = bin === 5 ? 90 : BIN_UPPER_EDGES[bin]
  return [low, high]
}

export function emptyPerBin(): number[] {
  return new Array<number>(BIN_COUNT).fill(0)
}

/** Bin centres in years, for turning an age in years into a position. */
const CENTRES = [9, 24, 34.5, 44.5, 54.5, 70]

export function ageToPosition(years: number): number {
  if (years <= CENTRES[0]) return 0
  if (years >= CENTRES[5]) return 5
  const i = CENTRES.findIndex((centre) => years < centre) - 1
  return i + (years - CENTRES[i]) / (CENTRES[i + 1] - CENTRES[i])
}

/** The age in years a position stands for (bin centres, linear in between): what the slider shows. */
export function positionToAge(position: number): number {
  const low = Math.max(0, Math.min(4, Math.floor(position)))
  return CENTRES[low] + (position - low) * (CENTRES[low + 1] - CENTRES[low])
}
