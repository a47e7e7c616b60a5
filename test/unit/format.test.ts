import { describe, expect, it } from 'vitest'
import { formatDuration, libraryCount } from '../../src/renderer/src/lib/format'

describe('durations', () => {
  it('round once, so seconds never read 60', () => {
    expect(formatDuration(119.6)).toBe('2 min 0 s')
    expect(formatDuration(179.5)).toBe('3 min 0 s')
    expect(formatDuration(59.2)).toBe('1 min 0 s')
    expect(formatDuration(44.1)).toBe('45 s')
    expect(formatDuration(3599.5)).toBe('1 h 0 min')
    expect(formatDuration(7380)).toBe('2 h 3 min')
    expect(formatDuration(null)).toBe('…')
    expect(formatDuration(Number.POSITIVE_INFINITY)).toBe('…')
  })
})

describe('the Library count', () => {
  it('says how many entries are refused files, so it adds up with the histogram', () => {
    expect(libraryCount(7, 7, 0, null)).toBe('7 of 7 images')
    expect(libraryCount(9, 9, 2, null)).toBe('9 of 9 entries (7 faces, 2 refused files)')
    expect(libraryCount(3, 7, 1, 1)).toBe('3 of 7 entries aged 19–29 (6 faces, 1 refused file)')
  })
})
