// The run view's Evaluation panel: evaluate a checkpoint (a job with progress), read the paper's
// table, see the chart once two checkpoints are judged, compare two runs' numbers side by side,
// and the Editor's independent check beside face-api's distance.
import { expect, test } from '@playwright/test'
import { copyFileSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { callApi, serveStudio, type Served } from '../helpers/serve'
import { DEMO_PHOTOS } from '../helpers/photos'

let served: Served | undefined
test.afterEach(async () => {
  await served?.stop()
  served = undefined
})

const api = callApi

async function finished(s: Served, runId: string) {
  for (;;) {
    const { run } = await api(s, 'runs.get', { runId })
    if (run.status === 'done') return
    if (['failed', 'cancelled', 'interrupted'].includes(run.status)) throw new Error(`${runId} ${run.status}`)
    await new Promise((resolve) => setTimeout(resolve, 500))
  }
}

test('evaluate checkpoints from the run view, and compare runs by their evaluations', async ({ page }) => {
  test.setTimeout(300_000)
  served = await serveStudio()
  await api(served, 'library.createDemo', { count: 60, seed: 3 })
  const { runId } = await api(served, 'runs.start', { preset: 'tiny', steps: 2, encoderSteps: 4, batch: 4, checkpointEvery: 2 })
  const { runId: other } = await api(served, 'runs.start', { preset: 'tiny', steps: 2, encoderSteps: 2, batch: 4, checkpointEvery: 2, seed: 9 })
  await finished(served, runId)
  await finished(served, other)

  await page.goto(served.url)
  await page.getByTestId('nav-training').click()
  await page.locator(`[data-testid=run-row][data-run="${runId}"]`).getByTestId('run-row-name').click()
  const panel = page.getByTestId('evaluation-panel')
  await expect(panel.getByTestId('eval-none')).toBeVisible()
  await expect(panel).toContainText('no loss ever sees')

  // The newest encoder checkpoint is chosen; judge it on 4 val faces.
  const checkpoints = panel.getByTestId('eval-checkpoint').locator('option')
  await expect(checkpoints).toHaveCount(2)
  await panel.getByTestId('eval-faces').fill('4')
  await panel.getByTestId('eval-iterations').fill('2')
  await panel.getByTestId('eval-run').click()
  await expect(panel.getByTestId('eval-progress')).toContainText(/judged \d of 4 faces/)
  await expect(panel.getByTestId('eval-table')).toBeVisible({ timeout: 120_000 })
  await expect(panel.getByTestId('eval-row')).toHaveCount(5)
  await expect(panel.locator('[data-row=impostor]')).toContainText(/impostor baseline: another face\s*\d+\.\d%\s*-?\d\.\d{3}/)
  await expect(panel.locator('[data-row=z0]')).toContainText(/\d+\.\d%\s*-?\d\.\d{3}\s*53\.2%/)
  await expect(panel.locator('[data-row=identity]')).toContainText('82.9%')
  await expect(panel.getByTestId('eval-bins').locator('tbody tr')).toHaveCount(6)
  await expect(panel).toContainText('(encoder step 4), val split, 4 faces, 2 refinement steps')
  // Which faces were judged, and a warning that procedural demo faces are no basis for these rates.
  await expect(panel.getByTestId('eval-sources')).toHaveText('4 faces of the val split: 4 procedural (demo) from "demo (seed 3)".')
  await expect(panel.getByTestId('eval-caveat')).toContainText('Only 0 real faces (fewer than 30): these rates are mostly noise')
  await expect(panel.getByTestId('eval-impostor-note')).toContainText('pairs each face with another person of the split')

  // The earlier checkpoint too: two points, so the chart of rates over checkpoints appears.
  await panel.getByTestId('eval-checkpoint').selectOption({ index: 0 })
  await panel.getByTestId('eval-split').selectOption('test')
  // Faces may come from any dataset of the catalog (here the only one, picked by name).
  await panel.getByTestId('eval-dataset').selectOption({ label: 'demo (seed 3) (procedural)' })
  await panel.getByTestId('eval-run').click()
  await expect(panel).toContainText('(encoder step 2), test split', { timeout: 120_000 })
  await expect(panel.getByTestId('eval-chart')).toBeVisible()
  await expect(panel.getByTestId('eval-shown').locator('option')).toHaveCount(2)
  await panel.screenshot({ path: 'test-results/evaluation-panel.png' })

  // A split the run trained on cannot be chosen; a bad request from the API is refused clearly.
  await expect(panel.getByTestId('eval-split').locator('option')).toHaveText(['val', 'test'])
  await expect(api(served, 'runs.evaluate', { runId, split: 'train' })).rejects.toThrow(/bad_input/)

  // Compare: the newest evaluation of each run, side by side.
  await page.locator(`[data-testid=run-row][data-run="${runId}"]`).getByTestId('run-compare').check()
  await page.locator(`[data-testid=run-row][data-run="${other}"]`).getByTestId('run-compare').check()
  const table = page.getByTestId('compare-evaluation')
  await expect(table).toBeVisible()
  const refined = table.getByTestId('compare-eval-row').filter({ hasText: 'identity kept, refined' })
  await expect(refined.locator('td')).toHaveCount(3)
  // One run was evaluated, the other not: a rate and a dash, in whichever column order.
  expect((await refined.locator('td').allTextContents()).slice(1).sort()).toEqual([expect.stringMatching(/^\d+\.\d%$/), '—'])
})

test('judge the exported photos: the table per target age and the contact sheet beside it', async ({ page }) => {
  test.setTimeout(300_000)
  served = await serveStudio()
  await api(served, 'library.createDemo', { count: 60, seed: 3 })
  const { runId } = await api(served, 'runs.start', { preset: 'tiny', steps: 2, encoderSteps: 2, batch: 4, checkpointEvery: 2 })
  // Two real photos, labelled by their CACD-style names, put in the test split.
  const folder = join(served.home, 'real')
  mkdirSync(folder)
  DEMO_PHOTOS.slice(0, 2).forEach((photo, i) => copyFileSync(photo, join(folder, `${35 + 20 * i}_${['Ann', 'Bo'][i]}_Lee_0001.jpg`)))
  await api(served, 'library.import', { paths: [folder], format: 'cacd', dataset: 'real' })
  const real = (await api(served, 'library.datasets', {})).find((d: { name: string }) => d.name === 'real')!
  const ids = await api(served, 'library.ids', { datasetId: real.id })
  await api(served, 'library.update', { ids, patch: { split: 'test' } })
  await finished(served, runId)

  await page.goto(served.url)
  await page.getByTestId('nav-training').click()
  await page.locator(`[data-testid=run-row][data-run="${runId}"]`).getByTestId('run-row-name').click()
  const panel = page.getByTestId('evaluation-panel')
  await panel.getByTestId('eval-split').selectOption('test')
  await panel.getByTestId('eval-dataset').selectOption({ label: 'real' })
  await panel.getByTestId('eval-faces').fill('2')
  await panel.getByTestId('eval-iterations').fill('0')
  await panel.getByTestId('eval-exports-count').fill('2')
  await panel.getByTestId('eval-run').click()
  await expect(panel.getByTestId('eval-progress')).toContainText(/judged \d of 4 faces and photos/)

  const exports = panel.getByTestId('eval-exports')
  await expect(exports.getByTestId('eval-exports-table')).toBeVisible({ timeout: 240_000 })
  await expect(exports).toContainText(
    '2 held-out photos aged as Batch ages them (full resolution, residual composite, strength 1, 0 refinement steps) to 6 ages: 12 exports',
  )
  await expect(exports.getByTestId('eval-exports-row')).toHaveCount(6)
  await expect(exports.locator('[data-age="70"]')).toContainText(/^70\s*\d+\.\d%\s*\d+\.\d \(\d+\.\d\)/)
  await expect(exports.getByTestId('eval-exports-summary')).toContainText(/Same person as the input: \d+\.\d% \(another photo's face: \d+\.\d%\)/)
  // The sheet is shown, not just named: the first page, as the browser loaded it.
  const sheet = exports.getByTestId('eval-sheet')
  await expect(sheet).toBeVisible()
  await expect.poll(() => sheet.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBe(1240)
  const pdf = await page.request.get(new URL((await exports.getByTestId('eval-sheet-pdf').getAttribute('href'))!, served.url).href)
  expect(pdf.status()).toBe(200)
  expect((await pdf.body()).subarray(0, 5).toString()).toBe('%PDF-')
  // Only the evaluation's own sheet pages are reachable.
  const evaluationId = (await exports.getByTestId('eval-sheet-pdf').getAttribute('href'))!.split('/')[3]
  for (const crafted of [
    `/download/evaluations/${evaluationId}/..%2Fcatalog.sqlite`,
    `/download/evaluations/${evaluationId}/contact-sheet-09.png`,
    '/download/evaluations/999/contact-sheet.pdf',
  ]) {
    expect((await page.request.get(new URL(crafted, served.url).href)).status(), crafted).toBe(404)
  }
  await exports.screenshot({ path: 'test-results/evaluation-exports.png' })
})
