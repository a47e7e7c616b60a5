// The training studio in Chromium: start a tiny run from the form, watch losses and samples,
// pause, resume, reload mid-run, cancel; compare two runs; and draw a 100k-point history.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { expect, test, type Page } from '@playwright/test'
import { Catalog } from '../../src/engine/catalog/catalog'
import { callApi, serveStudio, tempHome, type Served } from '../helpers/serve'

let served: Served | undefined
test.afterEach(async () => {
  await served?.stop()
  served = undefined
})

const api = callApi
const step = async (page: Page) => Number(await page.getByTestId('run-step').textContent())
const points = async (page: Page, id = 'loss-chart') => Number(await page.getByTestId(id).getAttribute('data-points'))
/** What chart.js itself holds to draw (after decimation), not just what it was given. */
const drawn = async (page: Page, id = 'loss-chart') => Number(await page.getByTestId(id).getAttribute('data-drawn'))

test('start a tiny run from the form, watch it, pause, resume, reload and cancel', async ({ page }) => {
  test.setTimeout(180_000)
  served = await serveStudio()
  await api(served, 'library.createDemo', { count: 60, seed: 3 })
  await page.goto(served.url)
  await page.getByTestId('nav-training').click()
  await page.getByTestId('new-run-open').click()
  await page.getByTestId('run-steps').fill('3000')
  await page.getByTestId('run-batch').fill('4')
  await page.getByTestId('run-sample-every').fill('5')
  await page.getByTestId('run-checkpoint-every').fill('10')
  // A new run sees the face window and leaves out faces mostly outside their photo (Max fill).
  await expect(page.getByTestId('run-framing-select')).toHaveValue('face')
  await page.getByTestId('run-framing-select').selectOption('full')
  await expect(page.getByTestId('run-max-fill')).toHaveCount(0)
  await page.getByTestId('run-framing-select').selectOption('face')
  await expect(page.getByTestId('run-max-fill')).toHaveValue('0.05')
  await expect(page.getByTestId('run-preview')).toContainText(/\d+ training images: 0–18 \d+/)
  await page.getByTestId('run-start').click()

  await expect(page.getByTestId('run-view')).toBeVisible()
  await expect(page.getByTestId('run-status')).toHaveText('running')
  await expect.poll(() => points(page), { timeout: 60_000 }).toBeGreaterThan(10)
  await expect.poll(() => drawn(page)).toBeGreaterThan(10)
  await expect(page.getByTestId('sample-image')).toBeVisible({ timeout: 60_000 })
  await expect(page.getByTestId('run-backend')).toHaveText(/cpu/)
  await expect(page.getByTestId('run-framing')).toHaveText('face window')
  await expect(page.getByTestId('run-tiny-hint')).toContainText('checks that training works')
  // Time left counts the encoder phase still to come, and is not shown while paused.
  await expect(page.getByTestId('run-eta')).toHaveText(/^(\d+ s|\d+ min \d+ s|\d+ h \d+ min) left, both phases$/)

  await page.getByTestId('run-pause').click()
  await expect(page.getByTestId('run-status')).toHaveText('paused')
  await expect(page.getByTestId('run-eta')).toHaveText('')
  // Paused: no throughput shown, and the trained-for clock stands still.
  await expect(page.getByTestId('run-rate')).toHaveText('')
  const paused = await step(page)
  const trainedWhenPaused = await page.getByTestId('run-trained').textContent()
  expect(trainedWhenPaused).toMatch(/^\d+ s$|^\d+ min \d+ s$/)
  await page.waitForTimeout(1500)
  expect(await step(page)).toBe(paused)
  await expect(page.getByTestId('run-trained')).toHaveText(trainedWhenPaused!)
  await page.getByTestId('run-continue').click()
  await expect.poll(() => step(page), { timeout: 30_000 }).toBeGreaterThan(paused)

  // A reload reattaches to the live run: the history comes back and keeps growing.
  const before = await points(page)
  await page.reload()
  await expect(page.getByTestId('run-view')).toBeVisible()
  await expect.poll(() => points(page), { timeout: 30_000 }).toBeGreaterThan(before)
  await expect(page.getByTestId('run-status')).toHaveText('running')

  // Scrub back to the first sample grid.
  await page.getByTestId('sample-slider').fill('0')
  await expect(page.getByTestId('sample-step')).toHaveText('5')

  await page.getByTestId('run-cancel').click()
  await page.getByTestId('run-cancel-confirm').click()
  await expect(page.getByTestId('run-status')).toHaveText('cancelled', { timeout: 30_000 })
  await expect(page.getByTestId('run-resume')).toBeVisible()
  await expect(page.getByTestId('run-row-status').first()).toHaveText('cancelled')

  // Resume from the first checkpoint: the later ones go, and the run trains on from step 10.
  await page.getByTestId('checkpoint-resume').first().click()
  await page.getByTestId('checkpoint-confirm').click()
  // A resume starts a new training thread (tfjs, the BLAS kernels): on a busy machine that alone took over 5 s.
  await expect(page.getByTestId('run-status')).toHaveText('running', { timeout: 30_000 })
  await expect.poll(() => step(page), { timeout: 30_000 }).toBeGreaterThan(10)
  await page.getByTestId('run-cancel').click()
  await page.getByTestId('run-cancel-confirm').click()
  await expect(page.getByTestId('run-status')).toHaveText('cancelled', { timeout: 30_000 })
})

test('compare two runs: the fields that differ, overlaid curves, grids at the same step', async ({ page }) => {
  test.setTimeout(180_000)
  served = await serveStudio()
  await api(served, 'library.createDemo', { count: 60, seed: 3 })
  const base = { preset: 'tiny', phase: 'gan', steps: 12, batch: 4, sampleEvery: 4, checkpointEvery: 12 }
  const a = (await api(served, 'runs.start', { ...base, seed: 1 })).runId
  const b = (await api(served, 'runs.start', { ...base, seed: 2, lrG: 1e-3 })).runId
  const s = served
  await expect.poll(async () => (await api(s, 'runs.list', {})).map((r: { status: string }) => r.status).join(), { timeout: 120_000 }).toBe('done,done')

  await page.goto(served.url)
  await page.getByTestId('nav-training').click()
  for (const id of [a, b]) await page.locator(`[data-run="${id}"]`).getByTestId('run-compare').check()
  await expect(page.getByTestId('compare-view')).toBeVisible()
  const fields = await page.getByTestId('compare-field').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-field')))
  expect(fields.sort()).toEqual(['lrG', 'seed'])
  await expect.poll(() => points(page, 'compare-chart')).toBe(24)
  await expect.poll(() => drawn(page, 'compare-chart')).toBeGreaterThan(0)
  await expect(page.getByTestId('compare-sample-image')).toHaveCount(2)
  const shown = await page.getByTestId('compare-sample-image').evaluateAll((imgs) => imgs.map((i) => i.getAttribute('data-step')))
  expect(shown).toEqual(['12', '12'])
  await page.getByTestId('compare-step').fill('0')
  await expect(page.getByTestId('compare-sample-image').first()).toHaveAttribute('data-step', '4')
})

test('a run with 100k metric rows draws its chart and the page stays responsive; a dead run shows as interrupted', async ({ page }) => {
  const home = tempHome()
  const catalog = Catalog.open(home)
  catalog.runs.create('run-seeded-100k', 'tiny', { preset: 'tiny', batch: 4 }, 1, 'cpu')
  catalog.db.prepare("UPDATE runs SET pid = 999999999 WHERE id = 'run-seeded-100k'").run()
  const insert = catalog.db.prepare("INSERT INTO metrics (run_id, phase, step, name, value) VALUES ('run-seeded-100k', 'gan', ?, ?, ?)")
  catalog.db.transaction(() => {
    for (let i = 1; i <= 50_000; i++) {
      insert.run(i, 'g', 2 + Math.sin(i / 500) + Math.random() * 0.3)
      insert.run(i, 'd_real', 0.7 + Math.cos(i / 700) * 0.2 + Math.random() * 0.1)
    }
  })()
  catalog.close()
  served = await serveStudio(home)
  await page.goto(`${served.url}#run=run-seeded-100k`)
  await expect(page.getByTestId('run-status')).toHaveText('interrupted')
  await expect.poll(() => points(page), { timeout: 60_000 }).toBe(100_000)
  // Decimated: far fewer points drawn than held, but some.
  await expect.poll(() => drawn(page)).toBeGreaterThan(100)
  expect(await drawn(page)).toBeLessThan(10_000)
  // Still interactive: controls respond and the chart redraws at once.
  await page.getByTestId('chart-log').check()
  await page.getByTestId('chart-smoothing').fill('0.9')
  await expect(page.getByTestId('chart-log')).toBeChecked()
  const responsive = await page.evaluate(() => new Promise<boolean>((resolve) => requestAnimationFrame(() => resolve(true))))
  expect(responsive).toBe(true)
})

test('the New run form says what is wrong next to the field, in words', async ({ page }) => {
  served = await serveStudio()
  await api(served, 'library.createDemo', { count: 12, seed: 6 })
  await page.goto(served.url)
  await page.getByTestId('nav-training').click()
  await page.getByTestId('new-run-open').click()
  // DiffAugment follows the preset (on but for paper) until the user sets it; tiny says what it is for.
  await expect(page.getByTestId('run-diff-augment')).toBeChecked()
  await expect(page.getByTestId('run-preset-hint')).toContainText('colour fields')
  await page.getByTestId('run-preset').selectOption('paper')
  await expect(page.getByTestId('run-diff-augment')).not.toBeChecked()
  await expect(page.getByTestId('run-preset-hint')).toHaveCount(0)
  await page.getByTestId('run-preset').selectOption('compact')
  await expect(page.getByTestId('run-diff-augment')).toBeChecked()
  await page.getByTestId('run-diff-augment').uncheck()
  await page.getByTestId('run-preset').selectOption('tiny')
  await expect(page.getByTestId('run-diff-augment')).not.toBeChecked()
  await page.getByTestId('run-steps').fill('')
  await expect(page.getByTestId('run-field-problem-steps')).toHaveText('Steps: enter a number.')
  await page.getByTestId('run-batch').fill('1')
  await expect(page.getByTestId('run-field-problem-batch')).toHaveText('Batch: at least 2.')
  await page.getByTestId('run-batch').fill('2.5')
  await expect(page.getByTestId('run-field-problem-batch')).toHaveText('Batch: a whole number, please.')
  await expect(page.getByTestId('run-start')).toBeDisabled()
  await expect(page.getByTestId('new-run')).not.toContainText('Invalid input')
  await page.getByTestId('run-steps').fill('5')
  await page.getByTestId('run-batch').fill('4')
  await expect(page.getByTestId('run-field-problem-steps')).toHaveCount(0)
  await expect(page.getByTestId('run-field-problem-batch')).toHaveCount(0)
  await expect(page.getByTestId('run-start')).toBeEnabled()
})

test('the runs table is live and keeps both phases and labelled losses after a reload', async ({ page }) => {
  test.setTimeout(180_000)
  served = await serveStudio()
  await api(served, 'library.createDemo', { count: 12, seed: 7 })
  const { runId } = await api(served, 'runs.start', { preset: 'tiny', steps: 6, encoderSteps: 4, batch: 4, checkpointEvery: 100 })
  await page.goto(served.url)
  await page.getByTestId('nav-training').click()
  const row = page.locator(`[data-testid="run-row"][data-run="${runId}"]`)
  await expect(row.getByTestId('run-row-status')).toHaveText('done', { timeout: 120_000 })
  const losses = /^D \d+\.\d{2} \/ \d+\.\d{2} \/ \d+\.\d{2} · G \d+\.\d{2} · E \d+\.\d{2}$/
  await expect(row.getByTestId('run-row-step')).toHaveText('cGAN 6 · encoder 4')
  await expect(row.getByTestId('run-row-losses')).toHaveText(losses)
  await page.reload()
  await page.getByTestId('nav-training').click()
  await expect(row.getByTestId('run-row-step')).toHaveText('cGAN 6 · encoder 4')
  await expect(row.getByTestId('run-row-losses')).toHaveText(losses)

  // A run in progress: its step climbs in the table between list refreshes.
  const long = (await api(served, 'runs.start', { preset: 'tiny', phase: 'gan', steps: 100_000, batch: 4, checkpointEvery: 100_000, sampleEvery: 100_000 }))
    .runId
  const live = page.locator(`[data-testid="run-row"][data-run="${long}"]`).getByTestId('run-row-step')
  const stepOf = async () => Number(/cGAN (\d+)/.exec((await live.textContent()) ?? '')?.[1] ?? 0)
  await expect.poll(stepOf, { timeout: 60_000 }).toBeGreaterThan(5)
  const seen = await stepOf()
  await expect.poll(stepOf, { timeout: 30_000 }).toBeGreaterThan(seen + 5)
  await api(served, 'runs.cancel', { runId: long })
})

test('name and annotate a run, keep chart settings, download its metrics as CSV, delete it', async ({ page }) => {
  const home = tempHome()
  const catalog = Catalog.open(home)
  catalog.runs.create('run-seeded-admin', 'tiny', { preset: 'tiny', batch: 4 }, 1, 'cpu')
  // Losses over four orders of magnitude: a log axis gets many minor ticks to label.
  for (let i = 1; i <= 400; i++)
    catalog.runs.addMetrics('run-seeded-admin', 'gan', i, { dReal: 0.7, dFake: 0.6, dMismatch: 0.8, g: 50 * Math.exp(-i / 40) + 0.005, imagesPerSecond: 30 })
  const dir = join('runs', 'run-seeded-admin', 'checkpoints', 'gan-00000400')
  mkdirSync(join(home, dir), { recursive: true })
  writeFileSync(join(home, dir, 'state.json'), '{}')
  catalog.runs.addCheckpoint('run-seeded-admin', 'gan', 400, 1, dir, 'f'.repeat(64))
  catalog.runs.setStatus('run-seeded-admin', 'done')
  catalog.close()
  served = await serveStudio(home)
  await page.goto(`${served.url}#run=run-seeded-admin`)
  await expect(page.getByTestId('run-status')).toHaveText('done')

  // Name and notes: shown in the view and the table, and still there after a reload.
  await page.getByText('Name, notes, export, delete').click()
  await page.getByTestId('run-name').fill('Baseline')
  await page.getByTestId('run-notes').fill('lr 2e-4, no balancing')
  await page.getByTestId('run-save').click()
  await expect(page.getByTestId('run-title')).toHaveText('Baseline')
  await expect(page.getByTestId('run-notes-text')).toHaveText('lr 2e-4, no balancing')
  await expect(page.getByTestId('run-row-name')).toHaveText('Baseline')

  // Chart settings survive a reload; log-scale labels are 1, 2, 5 × 10ⁿ, none repeated.
  await page.getByTestId('chart-log').check()
  await page.getByTestId('chart-smoothing').fill('0.9')
  await page.reload()
  await page.getByTestId('nav-training').click()
  await page.getByTestId('run-row-name').click()
  await expect(page.getByTestId('run-title')).toHaveText('Baseline')
  await expect(page.getByTestId('chart-log')).toBeChecked()
  await expect(page.getByTestId('chart-smoothing')).toHaveValue('0.9')
  await expect(page.getByTestId('loss-chart')).toHaveAttribute('data-y-labels', /\S/)
  const labels = (await page.getByTestId('loss-chart').getAttribute('data-y-labels'))!.split(' ')
  expect(new Set(labels).size).toBe(labels.length)
  expect(labels.length).toBeLessThanOrEqual(16)
  for (const label of labels) expect([1, 2, 5], label).toContain(Math.round((Number(label) / 10 ** Math.floor(Math.log10(Number(label)))) * 1000) / 1000)

  // The CSV downloads as a file, streamed by the server.
  await page.getByText('Name, notes, export, delete').click()
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('run-csv').click()])
  expect(download.suggestedFilename()).toBe('run-seeded-admin-metrics.csv')
  const csv = readFileSync(await download.path(), 'utf8')
    .trim()
    .split('\n')
  expect(csv[0]).toBe('phase,step,d_real,d_fake,d_mismatch,g,e,images_per_second')
  expect(csv).toHaveLength(401)

  // Delete, after a confirmation: the row, the view and the run's folder go.
  await page.getByTestId('run-delete').click()
  await page.getByTestId('run-delete-confirm').click()
  await expect(page.getByTestId('run-row')).toHaveCount(0)
  await expect(page.getByTestId('run-view')).toHaveCount(0)
  expect(existsSync(join(home, 'runs', 'run-seeded-admin'))).toBe(false)
})
