/**
 * Contact sheets for a case file: a header with the case information (model and its hash, run
 * and step, job, date, target ages), then one block per photo (file name, SHA-256, the face as
 * found and each aged version captioned with age and identity distance). Print-friendly: black
 * on white, on A4 or Letter. The PDF (pdf-lib) carries every word as real text, so it can be
 * searched and copied; its images print at 150 dpi or more. PNG pages (sharp) are the same
 * layout rendered at 150 dpi.
 */
import { join } from 'node:path'
import { PDFDocument, StandardFonts, rgb, type PDFFont, type PDFPage } from 'pdf-lib'
import sharp from 'sharp'
import { writeFileAtomic } from '../catalog/files'
import { layoutSheet, PAPER_POINTS, type Paper, type SheetPage, type TextItem } from './sheetLayout'

export type { Paper } from './sheetLayout'

export interface SheetCell {
  png: Buffer
  caption: string
}

export interface SheetRow {
  title: string
  /** The input file's SHA-256, printed in full: it names the exact file the row is about. */
  sha256: string
  cells: SheetCell[]
  /** Why this input made no pictures (a refused file): printed under its hash. */
  note?: string
}

export interface SheetCase {
  /** Lines of the page header: model, run and step, job, date, target ages. */
  lines: string[]
  paper: Paper
}

/** Face images are stored this many pixels across: at the largest cell (100 pt) that is 173 dpi. */
export const CELL_PIXELS = 240
/** PNG pages are drawn at this resolution. */
const PNG_DPI = 150

/** A cell's image: the given PNG fitted into the cell square. */
export const cellImage = (png: Uint8Array) =>
  sharp(png)
    .resize(CELL_PIXELS, CELL_PIXELS, { fit: 'contain', background: { r: 255, g: 255, b: 255 } })
    .png()
    .toBuffer()

/**
 * Helvetica in a PDF encodes WinAnsi only: Latin-1 and a few typographic marks. Anything else is
 * written as '?' (the SHA-256 beside it still names the file exactly).
 */
const WIN_ANSI_EXTRA = new Set([...'€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ'])
export const pdfText = (text: string) =>
  [...text.normalize('NFC')].map((c) => ((c >= ' ' && c <= '~') || (c >= '\u00a0' && c <= '\u00ff') || WIN_ANSI_EXTRA.has(c) ? c : '?')).join('')

const escapeXml = (text: string) => text.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`)

async function pngPage(page: SheetPage, paper: Paper): Promise<Buffer> {
  const k = PNG_DPI / 72
  const [width, height] = PAPER_POINTS[paper].map((pt) => Math.round(pt * k))
  const text = page.texts
    .map(
      (t) =>
        `<text x="${(t.x * k).toFixed(1)}" y="${(t.y * k).toFixed(1)}" font-family="sans-serif" font-size="${(t.size * k).toFixed(1)}" font-weight="${t.bold ? 700 : 400}" fill="${t.muted ? '#555' : '#000'}">${escapeXml(t.text)}</text>`,
    )
    .join('')
  const layers: sharp.OverlayOptions[] = [
    { input: Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${text}</svg>`), left: 0, top: 0 },
  ]
  for (const image of page.images) {
    const side = Math.round(image.size * k)
    layers.push({ input: await sharp(image.png).resize(side, side).png().toBuffer(), left: Math.round(image.x * k), top: Math.round(image.y * k) })
  }
  return sharp({ create: { width, height, channels: 3, background: { r: 255, g: 255, b: 255 } } })
    .composite(layers)
    .png()
    .toBuffer()
}

function drawText(pdfPage: PDFPage, t: TextItem, fonts: { regular: PDFFont; bold: PDFFont }, pageHeight: number): void {
  pdfPage.drawText(pdfText(t.text), {
    x: t.x,
    y: pageHeight - t.y,
    size: t.size,
    font: t.bold ? fonts.bold : fonts.regular,
    color: t.muted ? rgb(0.33, 0.33, 0.33) : rgb(0, 0, 0),
  })
}

/** Writes contact-sheet-NN.png pages and contact-sheet.pdf into dir; returns their paths. */
export async function writeContactSheets(rows: SheetRow[], sheetCase: SheetCase, dir: string): Promise<{ pages: string[]; pdf: string | null }> {
  if (rows.length === 0) return { pages: [], pdf: null }
  const layout = layoutSheet(rows, sheetCase.lines, sheetCase.paper)
  const pdf = await PDFDocument.create()
  const fonts = { regular: await pdf.embedFont(StandardFonts.Helvetica), bold: await pdf.embedFont(StandardFonts.HelveticaBold) }
  const [pageWidth, pageHeight] = PAPER_POINTS[sheetCase.paper]
  const pages: string[] = []
  const embedded = new Map<Buffer, Awaited<ReturnType<PDFDocument['embedPng']>>>()
  for (const page of layout) {
    const file = join(dir, `contact-sheet-${String(pages.length + 1).padStart(2, '0')}.png`)
    await writeFileAtomic(file, await pngPage(page, sheetCase.paper))
    pages.push(file)
    const pdfPage = pdf.addPage([pageWidth, pageHeight])
    for (const image of page.images) {
      const png = embedded.get(image.png) ?? (await pdf.embedPng(image.png))
      embedded.set(image.png, png)
      pdfPage.drawImage(png, { x: image.x, y: pageHeight - image.y - image.size, width: image.size, height: image.size })
    }
    for (const t of page.texts) drawText(pdfPage, t, fonts, pageHeight)
  }
  pdf.setTitle('Age Studio contact sheet')
  pdf.setSubject(pdfText(sheetCase.lines.join(' · ')))
  pdf.setProducer('Age Studio')
  const pdfFile = join(dir, 'contact-sheet.pdf')
  await writeFileAtomic(pdfFile, await pdf.save())
  return { pages, pdf: pdfFile }
}
