/**
 * Age labels from the file-name conventions of the common age datasets. A name that does not
 * follow its format exactly gets no label (and the importer flags it): a wrong or borrowed label
 * is worse than none, because it silently teaches the model the wrong age.
 */

import { isValidAge } from '../../shared/ageBins'

import type { NameFormat } from '../../shared/domain'

export type { ImportFormat, NameFormat } from '../../shared/domain'

export interface NameLabel {
  age: number
  gender: 'male' | 'female' | null
  identity: string | null
}

/** A parse result: a label, or why the name gives none. */
export type ParsedName = { ok: true; label: NameLabel } | { ok: false; reason: string }

const fail = (reason: string): ParsedName => ({ ok: false, reason })

function labelled(age: number, gender: NameLabel['gender'], identity: string | null): ParsedName {
  if (!isValidAge(age)) return fail(`impossible age ${age}`)
  return { ok: true, label: { age, gender, identity } }
}

/** UTKFace: `age_gender_race_datetime.jpg.chip.jpg`; gender 0 male, 1 female; race 0–4. */
function utkface(name: string): ParsedName {
  const m = /^(\d{1,3})_([01])_([0-4])_(\d{8,20})\.jpg\.chip\.jpg$/i.exec(name)
  if (!m) return fail('not age_gender_race_datetime.jpg.chip.jpg')
  return labelled(Number(m[1]), m[2] === '0' ? 'male' : 'female', null)
}

/**
 * CACD: `age_First_Last_nnnn.jpg`; the person is the name between age and counter. Names are
 * people's names in any script (Zoë, José, Björk, Łukasz, 王菲): letters, marks, digits, . ' -
 */
function cacd(name: string): ParsedName {
  const m = /^(\d{1,3})_(\p{L}[\p{L}\p{M}\p{N}.'-]*(?:_\p{L}[\p{L}\p{M}\p{N}.'-]*)*)_(\d{1,4})\.jpe?g$/iu.exec(name)
  if (!m) return fail('not age_First_Last_nnnn.jpg')
  return labelled(Number(m[1]), null, m[2])
}

/** FG-NET: `NNNAaa.JPG` (optionally a letter after the age for a second photo), subject NNN. */
function fgnet(name: string): ParsedName {
  const m = /^(\d{3})A(\d{2})[a-z]?\.jpe?g$/i.exec(name)
  if (!m) return fail('not NNNAaa.JPG')
  return labelled(Number(m[2]), null, m[1])
}

/** AgeDB: `id_Name_age_gender.jpg`, gender m or f. */
function agedb(name: string): ParsedName {
  const m = /^(\d+)_([^_].*?)_(\d{1,3})_([mf])\.jpe?g$/i.exec(name)
  if (!m) return fail('not id_Name_age_gender.jpg')
  return labelled(Number(m[3]), m[4].toLowerCase() === 'm' ? 'male' : 'female', m[2])
}

/**
 * IMDB-WIKI: `nm…_rm…_YYYY-M-D_YEAR.jpg` (IMDB) or `ID_YYYY-MM-DD_YEAR.jpg` (Wikipedia).
 * Age = photo year − birth year, minus one when born in July or later (the photo year's middle).
 */
function wiki(name: string): ParsedName {
  const m = /^(?:(nm\d+)_rm\d+|(\d+))_(\d{4})-(\d{1,2})-(\d{1,2})_(\d{4})\.jpe?g$/i.exec(name)
  if (!m) return fail('not nm…_rm…_YYYY-MM-DD_YEAR.jpg or ID_YYYY-MM-DD_YEAR.jpg')
  const [birthYear, month, day, photoYear] = [Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])]
  if (month < 1 || month > 12 || day < 1 || day > 31) return fail(`impossible birth date ${m[3]}-${m[4]}-${m[5]}`)
  return labelled(photoYear - birthYear - (month >= 7 ? 1 : 0), null, m[1] ?? m[2])
}

const PARSERS: Record<NameFormat, (name: string) => ParsedName> = { utkface, cacd, fgnet, agedb, wiki }

/** Names are read in NFC, so a macOS (NFD) "Zoë" and a Linux (NFC) one are the same person. */
export function parseName(format: NameFormat, fileName: string): ParsedName {
  return PARSERS[format](fileName.normalize('NFC'))
}

/**
 * The name format most of these files follow, or 'folder' when none fits at least half of them.
 * Formats are tried most specific first, so an AgeDB name is not read as CACD.
 */
export function detectNameFormat(fileNames: string[]): NameFormat | 'folder' {
  if (fileNames.length === 0) return 'folder'
  let best: { format: NameFormat | 'folder'; hits: number } = { format: 'folder', hits: 0 }
  for (const format of ['utkface', 'wiki', 'fgnet', 'agedb', 'cacd'] as const) {
    const hits = fileNames.filter((name) => parseName(format, name).ok).length
    if (hits > best.hits) best = { format, hits }
  }
  return best.hits * 2 >= fileNames.length ? best.format : 'folder'
}
