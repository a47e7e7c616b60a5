// First start on an empty data folder: the shipped model is there, chosen, and ages a real photo
// with nothing trained or imported by hand; it shows as read-only in Training.
import { readFileSync } from 'node:fs'
import { expect, test } from '@playwright/test'
import sharp from 'sharp'
import { readProvenance } from '../../src/engine/images/provenanceTag'
import { shippedModel } from '../../src/engine/aging/defaultModel'
import { DEMO_PHOTOS } from '../helpers/photos'
import { serveStudio, type Served } from '../helpers/serve'

let served: Served | undefined
test.afterEach(async () => {
  await served?.stop()
  served = undefined
})

test('a new user opens a photo, drags the slider and exports, with the shipped model and no training', async ({ page }) => {
  test.setTimeout(300_000)
  const shipped = shippedModel()!
  served = await serveStudio(undefined, { defaultModel: true })
  await page.goto(served.url)
  // The first screen is the empty Library: it says the Editor works now, and takes the user there.
  await expect(page.getByTestId('library-empty')).toBeVisible()
  await expect(page.getByTestId('library-editor-ready')).toContainText('age a photo right away', { timeout: 60_000 })
  await page.getByTestId('library-editor-ready').getByRole('button', { name: 'Open the Editor' }).click()
  await expect(page.getByTestId('nav-editor')).toHaveAttribute('aria-current', 'page')
  await expect(page.getByTestId('editor-model').locator('option:checked')).toContainText(shipped.name, { timeout: 60_000 })
  await expect(page.getByTestId('editor-no-model')).toHaveCount(0)
  // The page carries its own icon, so a browser never asks the studio for /favicon.ico (a 404 before).
  const icon = await page.locator('link[rel=icon]').getAttribute('href')
  expect(icon).toMatch(/^data:image\/svg\+xml,/)
  expect(
    await page.evaluate(
      (href) => new Promise((done) => Object.assign(new Image(), { onload: () => done(true), onerror: () => done(false), src: href })),
      icon!,
    ),
  ).toBe(true)

  await page.getByTestId('editor-file').setInputFiles(DEMO_PHOTOS[1])
  await expect(page.getByTestId('editor-photo')).toBeVisible({ timeout: 60_000 })
  const faces = page.locator('[data-testid^="editor-face-"]')
  if ((await faces.count()) > 1) await faces.first().click()
  await expect(page.getByTestId('editor-split')).toBeVisible({ timeout: 60_000 })
  await page.getByTestId('editor-slider').fill('5')
  await expect(page.getByTestId('editor-age')).toHaveText('about 70 years')
  // While refining, no scores are measured (they would be stale at the next step) and it says so.
  await expect(page.getByTestId('editor-scores-pending')).toContainText('once refinement ends')
  // Stop, then Continue: refinement goes on from where it stopped, not from step 0.
  await expect(page.getByTestId('editor-refine')).toContainText(/refining z for identity: [1-9]\d*\/60/, { timeout: 60_000 })
  await page.getByTestId('editor-stop').click()
  await expect(page.getByTestId('editor-refine')).toContainText(/stopped after \d+ steps/, { timeout: 60_000 })
  const stoppedAt = Number(/stopped after (\d+)/.exec((await page.getByTestId('editor-refine').textContent())!)![1])
  await page.getByTestId('editor-continue').click()
  await expect(page.getByTestId('editor-refine')).toContainText(/refining z for identity|refined/)
  await expect(page.getByTestId('editor-refine')).toContainText(/refined \(60 steps\)/, { timeout: 180_000 })
  expect(stoppedAt).toBeGreaterThan(0)
  await expect(page.getByTestId('editor-continue')).toHaveCount(0)
  await page.screenshot({ path: 'test-results/first-start-editor.png' })

  await page.getByTestId('editor-export').click()
  await expect(page.getByTestId('editor-exported')).toContainText('PNG', { timeout: 60_000 })
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('editor-download').click()])
  const bytes = readFileSync(await download.path())
  expect((await sharp(bytes).metadata()).width).toBeGreaterThan(0)
  const provenance = (await readProvenance(bytes)) as { model: { hash: string; origin: string } }
  expect(provenance.model).toMatchObject({ hash: shipped.modelHash, origin: `default:${shipped.modelHash}` })

  // In Training it is a finished run that cannot be renamed or deleted.
  await page.getByTestId('nav-training').click()
  await page.getByTestId('run-row-name').filter({ hasText: shipped.name }).click()
  // Its history as its card gives it: both phases done, the time and hardware it took, a grid from its G, no resume.
  await expect(page.getByTestId('run-step')).toHaveText('3000')
  await expect(page.getByTestId('run-hardware')).toContainText('2 CPU cores')
  await expect(page.getByTestId('run-trained')).not.toHaveText('not known')
  await expect(page.getByTestId('run-history-note')).toContainText('model card')
  await expect(page.getByAltText('sample grid at step 4500').first()).toBeVisible()
  await expect(page.getByTestId('checkpoint-resume')).toHaveCount(0)
  await page.getByText('Name, notes, export, delete').click()
  await expect(page.getByTestId('run-shipped')).toContainText('read-only')
  await expect(page.getByTestId('run-delete')).toBeHidden()
  await expect(page.getByTestId('run-name')).toHaveCount(0)
})
