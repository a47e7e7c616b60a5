// Import a folder of real face crops through the Library, then filter, bulk-relabel and watch
// the histogram follow. The crops come from face-api's demo photos, made at test time.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect, test } from '@playwright/test'
import { faceCrops, writeFolder } from '../helpers/faces'
import { serveStudio, type Served } from '../helpers/serve'

let served: Served
let folder: string

test.beforeAll(async () => {
  test.setTimeout(120_000)
  const crops = await faceCrops()
  folder = writeFolder(mkdtempSync(join(tmpdir(), 'age-studio-e2e-import-')), {
    ...Object.fromEntries(crops.slice(0, 6).map((c, i) => [`${i < 3 ? 25 : 45}_Film_Actor${i}_000${i}.jpg`, c.bytes])),
    'broken.jpg': 'not a photo',
  })
})
test.afterAll(() => rmSync(folder, { recursive: true, force: true }))
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
  await expect(page.getByTestId('library-count')).toHaveText('7 of 7 images')
  await expect(page.getByTestId('library-counters')).toContainText('1 rejected')

  // Filter to 19–29, select all three, relabel them 70: they move to 60+.
  await page.getByTestId('filter-bin-1').click()
  await expect(page.getByTestId('library-count')).toHaveText('3 of 7 images aged 19–29')
  await page.getByTestId('bulk-select-all').click()
  await expect(page.getByTestId('bulk-count')).toHaveText('3 selected')
  await page.getByTestId('bulk-age').fill('70')
  await page.getByTestId('bulk-set-age').click()
  await expect(page.getByTestId('bulk-message')).toHaveText('Age 70: 3 of 3 changed.')
  await expect(page.getByTestId('hist-count-1')).toHaveText('0')
  await expect(page.getByTestId('hist-count-5')).toHaveText('3')
  await expect(page.getByTestId('library-count')).toHaveText('0 of 7 images aged 19–29')

  // The relabelled faces show where their age came from; the photo shows the detection.
  await page.getByTestId('filter-bin-5').click()
  await page.getByTestId('filter-source').selectOption('manual')
  await expect(page.getByTestId('library-count')).toHaveText('3 of 7 images aged 60+')
  await page.getByTestId('grid-cell').first().locator('button').click()
  await expect(page.getByTestId('detail-age-source')).toHaveText('set by hand')
  await expect(page.getByTestId('detail-box')).toBeVisible()
  expect(await page.getByTestId('detail-picture').evaluate((img: HTMLImageElement) => img.naturalWidth)).toBe(256)

  // One face by hand, from the detail panel.
  await page.getByTestId('detail-age-input').fill('12')
  await page.getByTestId('detail-age-save').click()
  await expect(page.getByTestId('hist-count-0')).toHaveText('1')
  await expect(page.getByTestId('hist-count-5')).toHaveText('2')

  // The refused file is kept with its reason under "rejected".
  await page.getByTestId('filter-all').click()
  await page.getByTestId('filter-source').selectOption('')
  await page.getByTestId('filter-status').selectOption('rejected')
  await expect(page.getByTestId('library-count')).toHaveText('1 of 7 images')
  await page.getByTestId('grid-cell').first().locator('button').click()
  await expect(page.getByTestId('detail-rejected')).toHaveText('Rejected: not an image (unknown or corrupt format)')
})
