// The Editor and Batch follow training live: a model trained after they were opened appears
// without a reload, is labelled readably (run, preset, step, date), and the default is the newest
// checkpoint of a finished run, not of a run still training.
import { expect, test } from '@playwright/test'
import { callApi, serveStudio, type Served } from '../helpers/serve'

let served: Served | undefined
test.afterEach(async () => {
  await served?.stop()
  served = undefined
})

const api = callApi

test('a model trained while the Editor and Batch are open appears there, and the finished one is the default', async ({ page }) => {
  test.setTimeout(180_000)
  // Editor and Batch stay mounted once opened; only the shown one counts.
  const shown = (id: string) => page.locator('.keep:not([hidden])').getByTestId(id)
  served = await serveStudio()
  await api(served, 'library.createDemo', { count: 60, seed: 5 })
  await page.goto(served.url)
  await page.getByTestId('nav-editor').click()
  await expect(shown('editor-no-model')).toContainText('appears here as soon as')
  await page.getByTestId('nav-batch').click()
  await expect(shown('editor-no-model')).toContainText("the Editor's Model bundles panel")

  const { runId: finished } = await api(served, 'runs.start', { preset: 'tiny', steps: 2, encoderSteps: 3, batch: 4, checkpointEvery: 3 })
  const model = () => shown('editor-model')
  await expect(model()).toBeVisible({ timeout: 120_000 })
  await expect(model().locator('option:checked')).toHaveText(new RegExp(`^${finished} · tiny · step 3 · \\w{3} \\d+, `))
  await page.getByTestId('nav-editor').click()
  await expect(model().locator('option:checked')).toHaveText(new RegExp(`^${finished} · tiny · step 3`))

  // A second run writes encoder checkpoints while it trains: listed, marked, not chosen.
  const { runId: training } = await api(served, 'runs.start', { preset: 'tiny', steps: 1, encoderSteps: 100_000, batch: 4, checkpointEvery: 20 })
  await expect(model().locator(`option:has-text("${training}")`).first()).toHaveText(/\(running\)/, { timeout: 120_000 })
  await expect(model().locator('option:checked')).toHaveText(new RegExp(`^${finished}`))
  await page.getByTestId('nav-batch').click()
  await expect(model().locator('option:checked')).toHaveText(new RegExp(`^${finished}`))
  await api(served, 'runs.cancel', { runId: training })
})
