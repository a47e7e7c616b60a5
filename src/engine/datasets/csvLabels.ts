/**
 * Labels from a CSV file: `path,age[,gender][,identity]`, paths relative to the CSV's folder.
 * A header row is optional. A row with a bad age keeps its image but gets no label.
 */
import { parse } from 'csv-parse/sync'
import { dirname, isAbsolute, resolve } from 'node:path'
import { isValidAge } from '../../shared/ageBins'
import type { NameLabel, ParsedName } from './labels'

export interface CsvEntry {
  path: string
  parsed: ParsedName
}

/** Keeps a hostile CSV from exhausting memory; a label file this size is already absurd. */
export const MAX_CSV_BYTES = 64 * 1024 * 1024

const GENDERS: Record<string, NameLabel['gender']> = { m: 'male', male: 'male', '0': 'male', f: 'female', female: 'female', '1': 'female' }

export function parseLabelCsv(text: string, csvPath: string): CsvEntry[] {
  if (text.length > MAX_CSV_BYTES) throw new Error(`The label file ${csvPath} is larger than ${MAX_CSV_BYTES / 1024 / 1024} MiB.`)
  let rows: string[][]
  try {
    rows = parse(text, { relax_column_count: true, skip_empty_lines: true, trim: true, bom: true }) as string[][]
  } catch (error) {
    throw new Error(`${csvPath} is not a readable CSV file (${(error as Error).message}).`)
  }
  if (rows.length > 0 && rows[0][0]?.toLowerCase() === 'path') rows = rows.slice(1)
  const folder = dirname(csvPath)
  return rows
    .filter((row) => row[0])
    .map(([file, ageText = '', genderText = '', identity = '']) => {
      const path = isAbsolute(file) ? file : resolve(folder, file)
      const age = /^\d{1,3}$/.test(ageText) ? Number(ageText) : NaN
      if (!isValidAge(age)) return { path, parsed: { ok: false, reason: `bad age "${ageText.slice(0, 20)}" in ${csvPath}` } }
      const label: NameLabel = { age, gender: GENDERS[genderText.toLowerCase()] ?? null, identity: identity || null }
      return { path, parsed: { ok: true, label } }
    })
}
