import { describe, expect, it } from 'vitest'
import { pdfText } from '../../src/engine/aging/contactSheet'
import { layoutSheet, PAPER_POINTS, wrapText } from '../../src/engine/aging/sheetLayout'

const png = Buffer.from('x')
const row = (cells: number) => ({
  title: 'photo.jpg',
  sha256: 'a'.repeat(64),
  cells: Array.from({ length: cells }, () => ({ png, caption: '70 y v3 · id 0.61' })),
})

describe('contact sheet layout', () => {
  it('wraps long lines at spaces, and cuts a word longer than a line', () => {
    const lines = wrapText('Model ' + 'f'.repeat(64) + ' · run "Case 117" run-20261201125756-63cfc5 · tiny', 8.5, 300)
    expect(lines.length).toBeGreaterThan(1)
    for (const line of lines) expect(line.length * 8.5 * 0.56).toBeLessThanOrEqual(300)
    expect(lines.join(' ').replace(/\s+/g, ' ')).toContain('run-20261201125756-63cfc5')
  })

  it('keeps every image and caption on the page, and pages as needed', () => {
    for (const paper of ['a4', 'letter'] as const) {
      const [width, height] = PAPER_POINTS[paper]
      const pages = layoutSheet(
        Array.from({ length: 11 }, () => row(1 + 12 * 2)),
        ['case line'],
        paper,
      )
      expect(pages.length).toBeGreaterThan(1)
      expect(pages.flatMap((p) => p.images)).toHaveLength(11 * 25)
      for (const page of pages) {
        for (const image of page.images) {
          expect(image.x + image.size).toBeLessThanOrEqual(width - 36 + 0.01)
          expect(image.y + image.size).toBeLessThanOrEqual(height - 36)
          // 240 px across at most 100 pt prints at 173 dpi or more.
          expect(image.size).toBeLessThanOrEqual(100)
        }
        for (const text of page.texts) expect(text.y).toBeLessThanOrEqual(height - 20)
      }
      expect(pages.at(-1)!.texts.at(-1)!.text).toBe(`Page ${pages.length} of ${pages.length}`)
    }
  })

  it("keeps a whole verdict caption under each of a 6-age row's seven narrow cells", () => {
    const caption = '70 y · NOT same person 0.93 · looks 52 · dirt 10.4'
    const pages = layoutSheet([{ ...row(0), cells: Array.from({ length: 7 }, () => ({ png, caption })) }], ['case line'], 'a4')
    const [first] = pages[0].images
    const under = pages[0].texts.filter((t) => t.x === first.x && t.y > first.y + first.size && t.y < first.y + first.size + 30)
    expect(under.map((t) => t.text).join(' ')).toBe(caption)
    for (const t of under) expect(t.text.length * t.size * 0.56).toBeLessThanOrEqual(first.size)
  })

  it('writes what the PDF font can encode, and ? for the rest', () => {
    expect(pdfText('Zoë José Björk — “case” 17')).toBe('Zoë José Björk — “case” 17')
    expect(pdfText('Zoe\u0308')).toBe('Zoë')
    expect(pdfText('王菲 Ψ\u0000')).toBe('?? ??')
  })
})
