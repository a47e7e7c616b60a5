// Import a folder of real face crops through the Library, then filter, bulk-relabel and watch
// the histogram follow. The crops come from face-api's demo photos, made at test time.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect, test } from '@playwright/test'
import { faceCrops, writeFolder } from '../helpers/faces'
import { serveStudio, type Served } from '../helpers/serve'

let served: Served
let folder: string
let curate: string

test.beforeAll(async () => {
  test.setTimeout(120_000)
  const crops = await faceCrops()
  folder = writeFolder(mkdtempSync(join(tmpdir(), 'age-studio-e2e-import-')), {
    ...Object.fromEntries(crops.slice(0, 6).map((c, i) => [`${i < 3 ? 25 : 45}_Film_Actor${i}_000${i}.jpg`, c.bytes])),
    'broken.jpg': 'not a photo',
  })
  curate = writeFolder(mkdtempSync(join(tmpdir(), 'age-studio-e2e-curate-')), {
    '52_Old_Timer_0001.jpg': crops[6].bytes,
    '21_Young_Star_0001.jpg': crops[7].bytes,
    '34_Mid_Career_0001.jpg': crops[5].bytes,
    'IMG_0001.jpg': crops[4].bytes,
    'broken.jpg': 'not a photo',
    'empty.png': '',
  })
})
test.afterAll(() => {
  rmSync(folder, { recursive: true, force: true })
  rmSync(curate, { recursive: true, force: true })
})
test.beforeEach(async () => {
  served = await serveStudio()
})
test.afterEach(async () => {
  await served.stop()
})

test('import a folder, filter, bulk-relabel, and see the histogram change', async ({ page }) => {
  await page.goto(served.url)
  await expect(page.getByTestId('library-empty')).toBeVisible()
  await page.getByTestId('open-import').click()
  await page.getByTestId('import-paths').fill(folder)
  await page.getByTestId('import-start').click()
  await expect(page.getByTestId('import-report')).toContainText('Imported 6 (cacd); 0 already there', { timeout: 60_000 })
  await expect(page.getByTestId('import-rejected')).toContainText('broken.jpg: not an image (unknown or corrupt format)')
  await expect(page.getByTestId('hist-count-1')).toHaveText('3')
  await expect(page.getByTestId('hist-count-3')).toHaveText('3')
  await expect(page.getByTestId('library-count')).toHaveText('7 of 7 entries (6 faces, 1 refused file)')
  await expect(page.getByTestId('library-counters')).toContainText('1 rejected')

  // Filter to 19–29, select all three, relabel them 70: they move to 60+.
  await page.getByTestId('filter-bin-1').click()
  await expect(page.getByTestId('library-count')).toHaveText('3 of 7 entries aged 19–29 (6 faces, 1 refused file)')
  await page.getByTestId('bulk-select-all').click()
  await expect(page.getByTestId('bulk-count')).toHaveText('3 selected')
  await page.getByTestId('bulk-age').fill('70')
  await page.getByTestId('bulk-set-age').click()
  await expect(page.getByTestId('bulk-message')).toHaveText('Age 70: 3 of 3 changed.')
  await expect(page.getByTestId('hist-count-1')).toHaveText('0')
  await expect(page.getByTestId('hist-count-5')).toHaveText('3')
  await expect(page.getByTestId('library-count')).toHaveText('0 of 7 entries aged 19–29 (6 faces, 1 refused file)')

  // The relabelled faces show where their age came from; the photo shows the detection.
  await page.getByTestId('filter-bin-5').click()
  await page.getByTestId('filter-source').selectOption('manual')
  await expect(page.getByTestId('library-count')).toHaveText('3 of 7 entries aged 60+ (6 faces, 1 refused file)')
  await page.getByTestId('grid-cell').first().locator('button').click()
  await expect(page.getByTestId('detail-age-source')).toHaveText('set by hand')
  await expect(page.getByTestId('detail-box')).toBeVisible()
  expect(await page.getByTestId('detail-picture').evaluate((img: HTMLImageElement) => img.naturalWidth)).toBe(256)
  // How much of the crop the photo really covers: the face window and the wide crop.
  await expect(page.getByTestId('detail-outside')).toHaveText(/^\d+\.\d% of the face window · \d+\.\d% of the wide crop$/)

  // One face by hand, from the detail panel.
  await page.getByTestId('detail-age-input').fill('12')
  await page.getByTestId('detail-age-save').click()
  await expect(page.getByTestId('hist-count-0')).toHaveText('1')
  await expect(page.getByTestId('hist-count-5')).toHaveText('2')

  // The refused file is kept with its reason under "rejected".
  await page.getByTestId('filter-all').click()
  await page.getByTestId('filter-source').selectOption('')
  await page.getByTestId('filter-status').selectOption('rejected')
  await expect(page.getByTestId('library-count')).toHaveText('1 of 7 entries (6 faces, 1 refused file)')
  await page.getByTestId('grid-cell').first().locator('button').click()
  await expect(page.getByTestId('detail-rejected')).toHaveText('Rejected: not an image (unknown or corrupt format)')
})

test('curate: sort, rejected tiles say which file and why, a manual age or "reviewed" clears flags, selection follows the filter', async ({ page }) => {
  await page.goto(served.url)
  await page.getByTestId('open-import').click()
  await page.getByTestId('import-paths').fill(curate)
  await page.getByTestId('import-start').click()
  await expect(page.getByTestId('import-report')).toContainText('Imported 4 (cacd)', { timeout: 60_000 })
  await expect(page.getByTestId('library-count')).toHaveText('6 of 6 entries (4 faces, 2 refused files)')

  // Rejected tiles name their file and reason; the details have no made-up size.
  await page.getByTestId('filter-status').selectOption('rejected')
  await page.getByTestId('library-sort').selectOption('name')
  const tiles = page.getByTestId('rejected-tile')
  await expect(tiles).toHaveCount(2)
  await expect(tiles.nth(0)).toContainText('broken.jpg')
  await expect(tiles.nth(0)).toContainText('not an image')
  await expect(tiles.nth(1)).toContainText('empty.png')
  await expect(tiles.nth(1)).toContainText('empty')
  await tiles.nth(0).click()
  await expect(page.getByTestId('detail-rejected')).toBeVisible()
  await expect(page.getByTestId('detail-size')).toHaveCount(0)

  // Oldest first puts the 52-year-old first, youngest first the 21-year-old; unknown ages last.
  await page.getByTestId('filter-status').selectOption('usable')
  await page.getByTestId('library-sort').selectOption('age-desc')
  const ages = page.getByTestId('grid-cell').locator('.age')
  await expect(ages).toHaveText([/^52/, /^34/, /^21/, /^\? ⚑/])
  await page.getByTestId('library-sort').selectOption('age')
  await expect(ages).toHaveText([/^21/, /^34/, /^52/, /^\? ⚑/])

  // The unparsed name is flagged; an age set by hand clears that flag.
  await page.getByTestId('library-sort').selectOption('flagged')
  await page.getByTestId('filter-source').selectOption('none')
  await expect(page.getByTestId('library-count')).toHaveText('1 of 6 entries (4 faces, 2 refused files)')
  await page.getByTestId('grid-cell').first().locator('button').click()
  await expect(page.getByTestId('detail-source')).toContainText('IMG_0001.jpg')
  await expect(page.getByTestId('detail-flags')).toContainText('unparsed-name')
  await page.getByTestId('detail-age-input').fill('47')
  await page.getByTestId('detail-age-save').click()
  await expect(page.getByTestId('detail-age')).toHaveText('47')
  await expect(page.getByTestId('detail-flags')).not.toContainText('unparsed-name')

  // Selection follows the filter: picking all 4 usable, then narrowing to 40–49 keeps only the one shown.
  await page.getByTestId('filter-source').selectOption('')
  await page.getByTestId('bulk-select-all').click()
  await expect(page.getByTestId('bulk-count')).toHaveText('4 selected')
  await page.getByTestId('filter-bin-3').click()
  await expect(page.getByTestId('library-count')).toHaveText('1 of 6 entries aged 40–49 (4 faces, 2 refused files)')
  await expect(page.getByTestId('bulk-count')).toHaveText('1 selected')
  await page.getByTestId('filter-all').click()
  await expect(page.getByTestId('bulk-count')).toHaveText('1 selected')

  // "Mark reviewed" clears every flag of the selection: nothing is flagged afterwards.
  await page.getByTestId('bulk-select-all').click()
  await page.getByTestId('bulk-reviewed').click()
  await expect(page.getByTestId('bulk-message')).toContainText('Reviewed:')
  await expect(page.getByTestId('library-counters')).toContainText('0 flagged')
})

test('web mode: send a folder from this computer, or drop photos, and import them', async ({ page }) => {
  await page.goto(served.url)
  await page.getByTestId('open-import').click()
  // A folder chosen in the browser: its files go up in chunks, land under the data directory
  // with their structure, and are imported from there (names parsed as usual).
  await page.getByTestId('import-send-folder').setInputFiles(folder)
  await expect(page.getByTestId('import-report')).toContainText('Imported 6 (cacd)', { timeout: 60_000 })
  await expect(page.getByTestId('import-rejected')).toContainText('broken.jpg: not an image')
  await expect(page.getByTestId('import-paths')).toHaveValue(new RegExp(`${served.home.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/imports/`))
  await expect(page.getByTestId('library-count')).toHaveText('7 of 7 entries (6 faces, 1 refused file)')
  await page.getByTestId('grid-cell').first().locator('button').click()
  await expect(page.getByTestId('detail-source')).toContainText(`${served.home}/imports/`)
  await expect(page.getByTestId('detail-box')).toBeVisible()

  // Photos dropped on the panel go the same way.
  const bytes = readFileSync(join(curate, '52_Old_Timer_0001.jpg')).toString('base64')
  const transfer = await page.evaluateHandle((data) => {
    const file = new File([Uint8Array.from(atob(data), (c) => c.charCodeAt(0))], '52_Old_Timer_0001.jpg', { type: 'image/jpeg' })
    const dt = new DataTransfer()
    dt.items.add(file)
    return dt
  }, bytes)
  await page.getByTestId('import-panel').dispatchEvent('drop', { dataTransfer: transfer })
  await expect(page.getByTestId('import-report')).toContainText('Imported 1 (cacd)', { timeout: 60_000 })
  await expect(page.getByTestId('library-count')).toHaveText('8 of 8 entries (7 faces, 1 refused file)')
})
