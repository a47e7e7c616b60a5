// Every dataset's file-name convention, and the malformed names real datasets contain: those get
// no label at all, never a wrong or borrowed one.
import { describe, expect, it } from 'vitest'
import { parseLabelCsv } from '../../src/engine/datasets/csvLabels'
import { detectNameFormat, parseName } from '../../src/engine/datasets/labels'
import { splitFor } from '../../src/engine/datasets/splits'

const label = (format: Parameters<typeof parseName>[0], name: string) => {
  const parsed = parseName(format, name)
  return parsed.ok ? parsed.label : parsed.reason
}

describe('file-name labels', () => {
  it('UTKFace: age_gender_race_datetime.jpg.chip.jpg, and its real malformed names', () => {
    expect(label('utkface', '100_1_0_20170110183726390.jpg.chip.jpg')).toEqual({ age: 100, gender: 'female', identity: null })
    expect(label('utkface', '26_0_2_201701161846515488.jpg.chip.jpg')).toEqual({ age: 26, gender: 'male', identity: null })
    // Missing the race field, missing the dot, a space: no label.
    for (const bad of [
      '39_1_20170116174525125.jpg.chip.jpg',
      '55_0_0_20170116232725357jpg.chip.jpg',
      '53 _0_0_20170116184028385.jpg.chip.jpg',
      '24_2_0_20170116184028385.jpg.chip.jpg',
      'x_0_0_20170116184028385.jpg.chip.jpg',
    ]) {
      expect(parseName('utkface', bad).ok, bad).toBe(false)
    }
    expect(label('utkface', '130_0_0_20170116184028385.jpg.chip.jpg')).toBe('impossible age 130')
  })

  it('CACD: age_First_Last_nnnn.jpg, the person from the name', () => {
    expect(label('cacd', '53_Robin_Williams_0001.jpg')).toEqual({ age: 53, gender: null, identity: 'Robin_Williams' })
    expect(label('cacd', '23_Mary-Kate_Olsen_0012.jpg')).toEqual({ age: 23, gender: null, identity: 'Mary-Kate_Olsen' })
    for (const bad of ['Robin_Williams_0001.jpg', '53_Robin_Williams.jpg', '53__0001.jpg', '53_Robin_Williams_0001.png.txt'])
      expect(parseName('cacd', bad).ok, bad).toBe(false)
  })

  it('names in any script, NFC or NFD, are the same person (CACD, AgeDB)', () => {
    expect(label('cacd', '17_Zoë_Kravitz_0017.jpg')).toEqual({ age: 17, gender: null, identity: 'Zoë_Kravitz' })
    // What macOS writes: ë as e + combining diaeresis. The same person as the composed name.
    expect(label('cacd', '17_Zoe\u0308_Kravitz_0018.jpg')).toEqual({ age: 17, gender: null, identity: 'Zoë_Kravitz' })
    expect(label('cacd', '45_José_Mourinho_0003.jpg')).toMatchObject({ age: 45, identity: 'José_Mourinho' })
    expect(label('cacd', '30_Björk_0001.jpg')).toMatchObject({ age: 30, identity: 'Björk' })
    expect(label('cacd', '41_Łukasz_Żak_0002.jpg')).toMatchObject({ identity: 'Łukasz_Żak' })
    expect(label('cacd', '35_王菲_0004.jpg')).toMatchObject({ age: 35, identity: '王菲' })
    expect(label('agedb', '12_Zoë_Kravitz_17_f.jpg')).toMatchObject({ age: 17, gender: 'female', identity: 'Zoë_Kravitz' })
    expect(detectNameFormat(['17_Zoë_Kravitz_0017.jpg', '45_José_Mourinho_0003.jpg', '30_Björk_0001.jpg'])).toBe('cacd')
    for (const bad of ['17_Zoë Kravitz_0017.jpg', '17_ë_0001.png', '17_💥_0001.jpg']) expect(parseName('cacd', bad).ok, bad).toBe(false)
  })

  it('FG-NET: NNNAaa.JPG, subject NNN at age aa, with the second-photo letter', () => {
    expect(label('fgnet', '001A02.JPG')).toEqual({ age: 2, gender: null, identity: '001' })
    expect(label('fgnet', '002A16a.jpg')).toEqual({ age: 16, gender: null, identity: '002' })
    for (const bad of ['01A02.JPG', '001B02.JPG', '001A2.JPG', '001A02.png']) expect(parseName('fgnet', bad).ok, bad).toBe(false)
  })

  it('AgeDB: id_Name_age_gender.jpg', () => {
    expect(label('agedb', '0_MariaCallas_35_f.jpg')).toEqual({ age: 35, gender: 'female', identity: 'MariaCallas' })
    expect(label('agedb', '12_Albert_Einstein_70_m.jpg')).toEqual({ age: 70, gender: 'male', identity: 'Albert_Einstein' })
    for (const bad of ['0_MariaCallas_35.jpg', '0_MariaCallas_f.jpg', 'MariaCallas_35_f.jpg', '0_MariaCallas_35_x.jpg'])
      expect(parseName('agedb', bad).ok, bad).toBe(false)
  })

  it('IMDB-WIKI: photo year − birth year, minus one when born in July or later; impossible ages rejected', () => {
    expect(label('wiki', 'nm0000100_rm3291262208_1955-1-2_1992.jpg')).toEqual({ age: 37, gender: null, identity: 'nm0000100' })
    expect(label('wiki', 'nm0000100_rm3291262208_1955-7-2_1992.jpg')).toMatchObject({ age: 36 })
    expect(label('wiki', '10049200_1891-09-16_1958.jpg')).toEqual({ age: 66, gender: null, identity: '10049200' })
    expect(label('wiki', '10049200_1891-06-30_1958.jpg')).toMatchObject({ age: 67 })
    expect(label('wiki', '1234_2010-01-01_1990.jpg')).toBe('impossible age -20')
    expect(label('wiki', '1234_1700-01-01_2000.jpg')).toBe('impossible age 300')
    expect(label('wiki', '1234_1950-13-01_2000.jpg')).toBe('impossible birth date 1950-13-01')
    expect(parseName('wiki', 'nm0000100_1955-1-2_1992.jpg').ok).toBe(false)
  })

  it('detects the format most names follow, and falls back to a plain folder', () => {
    expect(detectNameFormat(['53_Robin_Williams_0001.jpg', '40_Tom_Hanks_0002.jpg', 'notes.jpg'])).toBe('cacd')
    expect(detectNameFormat(['0_MariaCallas_35_f.jpg', '1_Tom_Hanks_40_m.jpg'])).toBe('agedb')
    expect(detectNameFormat(['001A02.JPG', '001A05.JPG'])).toBe('fgnet')
    expect(detectNameFormat(['100_1_0_20170110183726390.jpg.chip.jpg'])).toBe('utkface')
    expect(detectNameFormat(['10049200_1891-09-16_1958.jpg'])).toBe('wiki')
    expect(detectNameFormat(['IMG_0001.jpg', 'IMG_0002.jpg', '53_Robin_Williams_0001.jpg'])).toBe('folder')
    expect(detectNameFormat([])).toBe('folder')
  })
})

describe('CSV labels', () => {
  it('reads path,age[,gender][,identity] with or without a header, relative to the CSV', () => {
    const entries = parseLabelCsv('path,age,gender,identity\na.jpg,34,f,anna\nsub/b.jpg,7\n"c, d.jpg",61,male,\n', '/data/set/labels.csv')
    expect(entries).toEqual([
      { path: '/data/set/a.jpg', parsed: { ok: true, label: { age: 34, gender: 'female', identity: 'anna' } } },
      { path: '/data/set/sub/b.jpg', parsed: { ok: true, label: { age: 7, gender: null, identity: null } } },
      { path: '/data/set/c, d.jpg', parsed: { ok: true, label: { age: 61, gender: 'male', identity: null } } },
    ])
  })

  it('gives a row with a bad age no label, and refuses a file that is not CSV', () => {
    const [row, negative, huge] = parseLabelCsv('x.jpg,forty\ny.jpg,-3\nz.jpg,999\n', '/l.csv')
    expect(row.parsed).toEqual({ ok: false, reason: 'bad age "forty" in /l.csv' })
    expect(negative.parsed.ok).toBe(false)
    expect(huge.parsed.ok).toBe(false)
    expect(() => parseLabelCsv('a,"unclosed\n', '/l.csv')).toThrow(/not a readable CSV/)
  })
})

describe('splits', () => {
  it('are reproducible from the seed, near the asked fractions, and follow the key', () => {
    const plan = { seed: 3, val: 0.1, test: 0.2 }
    const keys = Array.from({ length: 4000 }, (_, i) => `person:${i}`)
    const splits = keys.map((key) => splitFor(key, plan))
    expect(keys.map((key) => splitFor(key, plan))).toEqual(splits)
    const share = (s: string) => splits.filter((x) => x === s).length / keys.length
    expect(share('test')).toBeGreaterThan(0.17)
    expect(share('test')).toBeLessThan(0.23)
    expect(share('val')).toBeGreaterThan(0.08)
    expect(share('val')).toBeLessThan(0.12)
    const other = keys.map((key) => splitFor(key, { ...plan, seed: 4 }))
    expect(other.filter((s, i) => s !== splits[i]).length).toBeGreaterThan(500)
  })
})
