/**
 * Contact sheets for a batch: one row per input, its face beside each aged version, captioned
 * with the target age and identity distance. PNG pages (sharp) and one PDF of them (pdf-lib).
 */
import { join } from 'node:path'
import { PDFDocument } from 'pdf-lib'
import sharp from 'sharp'
import { writeFileAtomic } from '../catalog/files'

export interface SheetCell {
  png: Buffer
  caption: string
}

export interface SheetRow {
  title: string
  cells: SheetCell[]
}

const CELL = 160
const CAPTION = 22
const TITLE = 22
const GAP = 8
const ROWS_PER_PAGE = 8

const escapeXml = (text: string) => text.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`)

function textSvg(text: string, width: number, height: number, size: number): Buffer {
  return Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><text x="4" y="${height - 6}" font-family="sans-serif" font-size="${size}" fill="#e8e8e8">${escapeXml(text)}</text></svg>`,
  )
}

async function page(rows: SheetRow[], columns: number): Promise<Buffer> {
  const rowHeight = TITLE + CELL + CAPTION + GAP
  const width = GAP + columns * (CELL + GAP)
  const height = GAP + rows.length * rowHeight
  const layers: sharp.OverlayOptions[] = []
  rows.forEach((row, r) => {
    const top = GAP + r * rowHeight
    layers.push({ input: textSvg(row.title, width - GAP, TITLE, 13), left: GAP, top })
    row.cells.forEach((cell, c) => {
      const left = GAP + c * (CELL + GAP)
      layers.push({ input: cell.png, left, top: top + TITLE })
      layers.push({ input: textSvg(cell.caption, CELL, CAPTION, 12), left, top: top + TITLE + CELL })
    })
  })
  return sharp({ create: { width, height, channels: 3, background: { r: 24, g: 26, b: 31 } } }).composite(layers).png().toBuffer()
}

/** A cell's image: the given PNG fitted into the cell square. */
export const cellImage = (png: Uint8Array) => sharp(png).resize(CELL, CELL, { fit: 'contain', background: { r: 0, g: 0, b: 0 } }).png().toBuffer()

/** Writes contact-sheet-NN.png pages and contact-sheet.pdf into dir; returns their paths. */
export async function writeContactSheets(rows: SheetRow[], dir: string): Promise<{ pages: string[]; pdf: string | null }> {
  if (rows.length === 0) return { pages: [], pdf: null }
  const columns = Math.max(...rows.map((row) => row.cells.length))
  const pdf = await PDFDocument.create()
  const pages: string[] = []
  for (let start = 0; start < rows.length; start += ROWS_PER_PAGE) {
    const png = await page(rows.slice(start, start + ROWS_PER_PAGE), columns)
    const file = join(dir, `contact-sheet-${String(pages.length + 1).padStart(2, '0')}.png`)
    await writeFileAtomic(file, png)
    pages.push(file)
    const image = await pdf.embedPng(png)
    pdf.addPage([image.width, image.height]).drawImage(image, { x: 0, y: 0, width: image.width, height: image.height })
  }
  pdf.setTitle('Age Studio contact sheet')
  pdf.setProducer('Age Studio')
  const pdfFile = join(dir, 'contact-sheet.pdf')
  await writeFileAtomic(pdfFile, await pdf.save())
  return { pages, pdf: pdfFile }
}
