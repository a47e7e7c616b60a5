/**
 * Where everything on a contact sheet page goes, in points from the top left, for both the PDF
 * and the PNG renderer: a header, then one block per photo (title, SHA-256, a line of face cells
 * with captions; cells wrap onto more lines when there are many ages and variations).
 */
import type { Paper } from '../../shared/aging'

export type { Paper }

/** Page size in points (1/72 in). */
export const PAPER_POINTS: Record<Paper, [number, number]> = { a4: [595.28, 841.89], letter: [612, 792] }

const MARGIN = 36
const GAP = 6
const MAX_CELL = 100
const MAX_PER_LINE = 7
const TITLE = 14
const HASH = 11
/** Room for three caption lines under a cell (age, then the verdict on the export). */
const CAPTION = 30
const BLOCK_GAP = 12

export interface TextItem {
  text: string
  x: number
  /** Baseline. */
  y: number
  size: number
  bold?: boolean
  muted?: boolean
}

export interface ImageItem {
  png: Buffer
  x: number
  /** Top edge. */
  y: number
  size: number
}

export interface SheetPage {
  texts: TextItem[]
  images: ImageItem[]
}

interface Row {
  title: string
  sha256: string
  cells: { png: Buffer; caption: string }[]
  /** A line under the hash: why an input made no pictures. */
  note?: string
}

const NOTE = 12
const CAPTION_LINES = 3

/**
 * The largest caption font (7.5 pt down to 6) at which the caption fits its three lines: a row
 * of seven cells is 70 pt wide, where 7.5 pt would cut the verdict's last words off.
 */
function captionSize(caption: string, cell: number): number {
  for (const size of [7.5, 7, 6.5, 6]) if (wrapText(caption, size, cell).length <= CAPTION_LINES) return size
  return 6
}

/**
 * Breaks text into lines that fit `width` at `size`, at spaces where it can. Widths are
 * estimated (Helvetica's digits are 0.556 em, most letters less), erring wide.
 */
export function wrapText(text: string, size: number, width: number): string[] {
  const perLine = Math.max(10, Math.floor(width / (size * 0.56)))
  const lines: string[] = []
  let rest = text
  while (rest.length > perLine) {
    const space = rest.lastIndexOf(' ', perLine)
    const cut = space > perLine / 2 ? space : perLine
    lines.push(rest.slice(0, cut).trimEnd())
    rest = rest.slice(cut).trimStart()
  }
  return [...lines, rest]
}

export function layoutSheet(rows: Row[], caseLines: string[], paper: Paper): SheetPage[] {
  const [width, height] = PAPER_POINTS[paper]
  const usable = width - 2 * MARGIN
  const header = caseLines.flatMap((line) => wrapText(line, 8.5, usable))
  const columns = Math.max(1, Math.min(MAX_PER_LINE, Math.max(...rows.map((r) => r.cells.length))))
  const cell = Math.min(MAX_CELL, (usable - (columns - 1) * GAP) / columns)
  const headerHeight = 20 + header.length * 12 + 8
  const pages: SheetPage[] = []
  let page: SheetPage | undefined
  let y = 0
  const newPage = () => {
    page = { texts: [], images: [] }
    pages.push(page)
    page.texts.push({ text: 'Age Studio · age progression contact sheet', x: MARGIN, y: MARGIN + 12, size: 13, bold: true })
    header.forEach((line, i) => page!.texts.push({ text: line, x: MARGIN, y: MARGIN + 28 + i * 12, size: 8.5 }))
    y = MARGIN + headerHeight
  }
  newPage()
  for (const row of rows) {
    const lines = Math.ceil(row.cells.length / columns)
    const note = row.note ? wrapText(row.note, 8.5, usable) : []
    const blockHeight = TITLE + HASH + note.length * NOTE + lines * (cell + CAPTION) + BLOCK_GAP
    if (y + blockHeight > height - MARGIN - 14 && y > MARGIN + headerHeight) newPage()
    page!.texts.push({ text: wrapText(row.title, 10, usable)[0], x: MARGIN, y: y + 10, size: 10, bold: true })
    page!.texts.push({ text: `SHA-256 ${row.sha256}`, x: MARGIN, y: y + TITLE + 8, size: 7, muted: true })
    note.forEach((line, k) => page!.texts.push({ text: line, x: MARGIN, y: y + TITLE + HASH + 9 + k * NOTE, size: 8.5 }))
    row.cells.forEach((c, i) => {
      const x = MARGIN + (i % columns) * (cell + GAP)
      const top = y + TITLE + HASH + note.length * NOTE + Math.floor(i / columns) * (cell + CAPTION)
      page!.images.push({ png: c.png, x, y: top, size: cell })
      const size = captionSize(c.caption, cell)
      wrapText(c.caption, size, cell)
        .slice(0, CAPTION_LINES)
        .forEach((line, k) => page!.texts.push({ text: line, x, y: top + cell + 9 + k * (size + 1.5), size }))
    })
    y += blockHeight
  }
  pages.forEach((p, i) => p.texts.push({ text: `Page ${i + 1} of ${pages.length}`, x: MARGIN, y: height - MARGIN + 8, size: 7.5, muted: true }))
  return pages
}
