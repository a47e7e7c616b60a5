/** Numbers as the studio, the CLI and reports print them. */

/** A share as a percentage with one decimal: 0.829 → "82.9%"; null (nothing to count) → "—". */
export const percent = (share: number | null): string => (share === null ? '—' : `${(share * 100).toFixed(1)}%`)
