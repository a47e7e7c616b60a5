// A run on PyTorch from the New run form, in the same live run view as any other: the ladder says
// why torch-cuda is unavailable here, torch-cpu trains, losses and sample grids stream in, and a
// pause and a cancel reach the Python trainer. Skips, saying why, where Python has no torch.
import { expect, test } from '@playwright/test'
import { torchStatus } from '../../src/engine/torch/python'
import { serveStudio, type Served } from '../helpers/serve'

let served: Served | undefined
test.afterEach(async () => {
  await served?.stop()
  served = undefined
})

test('train on torch-cpu from the form and steer it live', async ({ page }) => {
  const torch = await torchStatus()
  test.skip(!torch.ok, `no Python with torch (${torch.ok ? '' : torch.reason})`)
  test.setTimeout(180_000)
  served = await serveStudio()
  await fetch(`${served.origin}/api/call/library.createDemo`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${served.token}` },
    body: JSON.stringify({ count: 60, seed: 4 }),
  })
  await page.goto(served.url)
  await page.getByTestId('nav-training').click()
  await page.getByTestId('new-run-open').click()
  const select = page.getByTestId('run-backend-select')
  const cuda = select.locator('option[value="torch-cuda"]')
  if (torch.ok && !torch.probe.cuda) {
    await expect(cuda).toBeDisabled()
    await expect(cuda).toHaveText(/torch-cuda: unavailable, no CUDA device/)
  }
  await expect(select.locator('option[value="torch-cpu"]')).toHaveText(/torch-cpu: available/)
  await select.selectOption('torch-cpu')
  await page.getByTestId('run-steps').fill('3000')
  await page.getByTestId('run-batch').fill('4')
  await page.getByTestId('run-sample-every').fill('5')
  await page.getByTestId('run-checkpoint-every').fill('10')
  await page.getByTestId('run-start').click()

  await expect(page.getByTestId('run-view')).toBeVisible()
  await expect(page.getByTestId('run-backend')).toHaveText('torch-cpu')
  await expect.poll(async () => Number(await page.getByTestId('loss-chart').getAttribute('data-points')), { timeout: 60_000 }).toBeGreaterThan(10)
  await expect(page.getByTestId('sample-image')).toBeVisible({ timeout: 60_000 })
  await page.getByTestId('run-pause').click()
  await expect(page.getByTestId('run-status')).toHaveText('paused')
  await page.getByTestId('run-continue').click()
  await expect(page.getByTestId('run-status')).toHaveText('running')
  // A checkpoint (every 10 steps) shows up live; a cancel keeps it (a cancel itself writes none,
  // so cancelling before step 10 would leave nothing to show: CI once got there at step 9).
  await expect(page.getByTestId('checkpoint').first()).toBeVisible({ timeout: 60_000 })
  await page.getByTestId('run-cancel').click()
  await page.getByTestId('run-cancel-confirm').click()
  await expect(page.getByTestId('run-status')).toHaveText('cancelled', { timeout: 30_000 })
  await expect(page.getByTestId('checkpoint').first()).toBeVisible()
  await page.screenshot({ path: test.info().outputPath('torch-run.png'), fullPage: true })
})
