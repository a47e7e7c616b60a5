/** The Library's filters as SQL over `images i`. Values always go in as parameters. */
import type { ImageQuery } from '../../shared/domain'

export type ImageFilter = Partial<ImageQuery>

export function whereClause(filter: ImageFilter, skip: (keyof ImageFilter)[] = []): { sql: string; params: unknown[] } {
  const clauses: string[] = []
  const params: unknown[] = []
  const use = <K extends keyof ImageFilter>(key: K) => !skip.includes(key) && filter[key] !== undefined && filter[key] !== null
  if (use('bin')) {
    clauses.push('i.age_bin = ?')
    params.push(filter.bin)
  }
  if (use('datasetId')) {
    clauses.push('i.dataset_id = ?')
    params.push(filter.datasetId)
  }
  if (use('split')) {
    clauses.push('i.split = ?')
    params.push(filter.split)
  }
  if (use('ageSource')) {
    if (filter.ageSource === 'none') clauses.push('i.age_source IS NULL')
    else {
      clauses.push('i.age_source = ?')
      params.push(filter.ageSource)
    }
  }
  if (use('status')) {
    const status = {
      all: null,
      usable: 'i.import_error IS NULL AND i.excluded = 0',
      flagged: "i.import_error IS NULL AND i.flags <> '[]'",
      rejected: 'i.import_error IS NOT NULL',
      excluded: 'i.excluded = 1',
    }[filter.status!]
    if (status) clauses.push(status)
  }
  return { sql: clauses.length ? ` WHERE ${clauses.join(' AND ')}` : '', params }
}
