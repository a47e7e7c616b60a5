// The age editor and batch progression in Chromium (web mode): import a model bundle through the
// UI, open a group photo, pick a face, move the slider, try variations, export and download;
// then age three photos as a batch and see its contact sheet.
import { spawnSync } from 'node:child_process'
import { copyFileSync, mkdirSync, readFileSync, rmSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'
import { expect, test } from '@playwright/test'
import sharp from 'sharp'
import { readProvenance } from '../../src/engine/images/provenanceTag'
import { DEMO_PHOTOS } from '../helpers/photos'
import { CLI, serveStudio, tempHome, type Served } from '../helpers/serve'

let served: Served | undefined
const trainer = tempHome('age-studio-e2e-trainer-')
const bundle = join(trainer, 'tiny.agemodel')

test.beforeAll(() => {
  const cli = (...args: string[]) => {
    const result = spawnSync(process.execPath, [CLI, '--home', trainer, ...args], { encoding: 'utf8' })
    if (result.status !== 0) throw new Error(`${args[0]} failed: ${result.stderr}`)
    return result.stdout
  }
  cli('demo', '--count', '60')
  const runId = JSON.parse(cli('train', '--preset', 'tiny', '--steps', '4', '--encoder-steps', '4', '--batch', '8', '--checkpoint-every', '4', '--json')).runId
  cli('export-model', '--run', runId, '--out', bundle)
})
test.afterAll(() => rmSync(trainer, { recursive: true, force: true }))
test.afterEach(async () => {
  await served?.stop()
  served = undefined
})

test('import a model, open a group photo, pick a face, slide the age, export full size', async ({ page }) => {
  test.setTimeout(240_000)
  served = await serveStudio()
  await page.goto(served.url)
  await page.getByTestId('nav-editor').click()
  await expect(page.getByTestId('editor-no-model')).toBeVisible()

  // The bundle goes in through the UI, as it would on an offline machine.
  await page.getByText('Model bundles').click()
  await page.getByTestId('bundle-file').setInputFiles(bundle)
  await expect(page.getByTestId('bundle-message')).toContainText('Imported: model', { timeout: 60_000 })
  await expect(page.getByTestId('editor-model')).toContainText('imported')

  // Exporting over an existing file asks first, and replaces it only when told to.
  const exportTo = join(served.home, 'exported.agemodel')
  await page.getByTestId('bundle-out').fill(exportTo)
  await page.getByTestId('bundle-export').click()
  await expect(page.getByTestId('bundle-exported')).toContainText(exportTo, { timeout: 60_000 })
  await page.getByTestId('bundle-export').click()
  await expect(page.getByTestId('bundle-error')).toContainText('already exists')
  await page.getByTestId('bundle-replace').click()
  await expect(page.getByTestId('bundle-error')).toHaveCount(0)
  await expect(page.getByTestId('bundle-replace')).toHaveCount(0)
  await expect(page.getByTestId('bundle-exported')).toContainText(exportTo)

  await page.getByTestId('editor-file').setInputFiles(DEMO_PHOTOS[0])
  await expect(page.getByTestId('editor-photo')).toBeVisible({ timeout: 60_000 })
  const faces = page.locator('[data-testid^="editor-face-"]')
  expect(await faces.count()).toBeGreaterThan(1)
  await page.getByTestId('editor-face-1').click()

  // The instant preview from z0, then refinement in the background.
  await expect(page.getByTestId('editor-split')).toBeVisible({ timeout: 60_000 })
  await expect(page.getByTestId('editor-refine')).toBeVisible()
  // Refinement says how long the rest will take (a tiny model's 60 steps take seconds here).
  // The six-age strip comes at refinement's end; until then its place says so (read in one go with the time left).
  const refining = () =>
    page.evaluate(() => ({
      eta: document.querySelector('[data-testid="editor-refine-eta"]')?.textContent ?? '',
      stripPending: document.querySelector('[data-testid="editor-strip-pending"]')?.textContent ?? '',
      strip: document.querySelectorAll('[data-testid="editor-strip"] button').length,
    }))
  await expect
    .poll(refining)
    .toMatchObject({ eta: expect.stringMatching(/^, (\d+ s|\d+ min \d+ s) left$/), stripPending: expect.stringContaining('when refinement ends'), strip: 0 })
  await page.locator('main').screenshot({ path: 'test-results/editor-refining.png' })
  await expect(page.getByTestId('editor-limits')).toContainText('64×64')
  await expect(page.getByTestId('editor-strip').locator('button')).toHaveCount(6, { timeout: 120_000 })
  await expect(page.getByTestId('editor-strip-pending')).toHaveCount(0)
  // The strip shows each age composited into the photo (192 px face regions), not 64×64 model output.
  await expect
    .poll(() =>
      page
        .getByTestId('editor-strip')
        .locator('img')
        .first()
        .evaluate((img: HTMLImageElement) => img.naturalWidth),
    )
    .toBe(192)

  // The whole photo with the aged face in place; 1:1 shows the photo's own pixels around the face.
  const view = page.getByTestId('editor-split')
  await expect(view).toHaveAttribute('data-region', '0,0,1920,1280')
  await page.getByTestId('view-1x').click()
  await expect(view).not.toHaveAttribute('data-region', '0,0,1920,1280')
  const [, , regionWidth, regionHeight] = (await view.getAttribute('data-region'))!.split(',').map(Number)
  const box = (await view.boundingBox())!
  expect(regionWidth).toBe(Math.round(box.width))
  expect(regionHeight).toBe(Math.round(box.height))
  await expect
    .poll(() => page.getByTestId('editor-after').evaluate((img: HTMLImageElement) => `${img.naturalWidth}x${img.naturalHeight}`))
    .toBe(`${regionWidth}x${regionHeight}`)
  // Dragging the photo pans it: another part of the photo is asked for.
  const before1x = await view.getAttribute('data-region')
  await page.mouse.move(box.x + box.width * 0.75, box.y + box.height / 2)
  await page.mouse.down()
  await page.mouse.move(box.x + box.width * 0.75 - 150, box.y + box.height / 2 - 60, { steps: 5 })
  await page.mouse.up()
  await expect(view).not.toHaveAttribute('data-region', before1x!)
  // The before/after split is a handle on the image: drag it, or use the arrow keys.
  const handle = page.getByTestId('editor-split-handle')
  await expect(handle).toHaveAttribute('aria-valuenow', '50')
  const knob = (await handle.boundingBox())!
  await page.mouse.move(knob.x + knob.width / 2, knob.y + knob.height / 2)
  await page.mouse.down()
  await page.mouse.move(box.x + box.width * 0.25, knob.y + knob.height / 2, { steps: 5 })
  await page.mouse.up()
  expect(Number(await handle.getAttribute('aria-valuenow'))).toBeLessThan(35)
  await expect(page.getByTestId('editor-after')).toHaveAttribute('style', /clip-path: inset\(0(px)? 0(px)? 0(px)? (2\d|3[0-4])(\.\d+)?%\)/)
  await handle.focus()
  const was = Number(await handle.getAttribute('aria-valuenow'))
  await page.keyboard.press('ArrowRight')
  await expect(handle).toHaveAttribute('aria-valuenow', String(was + 2))
  await page.getByTestId('view-fit').click()
  await expect(view).toHaveAttribute('data-region', '0,0,1920,1280')

  // Moving the slider changes the aged face and the age shown.
  const after = page.getByTestId('editor-after')
  const before = await after.getAttribute('src')
  const age = await page.getByTestId('editor-age').textContent()
  await page.getByTestId('editor-slider').fill('0.5')
  await expect(page.getByTestId('editor-age')).not.toHaveText(age!)
  await expect.poll(() => after.getAttribute('src')).not.toBe(before)
  await page.getByTestId('editor-strip').locator('button').last().click()
  await expect(page.getByTestId('editor-age')).toHaveText('about 70 years')
  await expect(page.getByTestId('editor-refine')).toContainText(/refined \(\d+ steps(, converged)?\)|stopped/, { timeout: 120_000 })
  // Settled (refinement over, slider still): both identity checks of this very picture.
  await expect(page.getByTestId('editor-identity')).toContainText(/Refinement distance \d\.\d{3}/)
  // face-api's distance is what refinement lowers: shown as its progress, never as a verdict on the person.
  await expect(page.getByTestId('editor-identity')).toContainText('not a verdict')
  await expect(page.getByTestId('editor-identity')).not.toContainText('same person')
  // The verdict is on the photo as it exports (the residual composite keeps the photo's own pixels),
  // and G's own 64 px face, which a tiny model draws as noise, is shown apart as what it is.
  await expect(page.getByTestId('editor-verdict')).toContainText(
    /Independent check of the photo as it exports: (same person|not the same person) \(similarity -?\d\.\d{3}; 0\.61 or more is a match\) · looks \d+/,
  )
  await expect(page.getByTestId('editor-independent')).toContainText(
    /The model's own 64×64 face, by the same recognizer: not the same person \(similarity -?\d\.\d{3}\)/,
  )
  await page.getByTestId('editor-independent').locator('..').screenshot({ path: 'test-results/editor-identity-checks.png' })
  // Strength 0 leaves the photo as it is, and the verdict on the export says so; back to 1 after.
  const strength = page.getByTestId('editor-strength')
  const setStrength = (value: string) =>
    strength.evaluate((el: HTMLInputElement, v) => {
      el.value = v
      el.dispatchEvent(new Event('input', { bubbles: true }))
      el.dispatchEvent(new Event('change', { bubbles: true }))
    }, value)
  await setStrength('0')
  await expect(page.getByTestId('editor-strength-value')).toHaveText('0.0')
  await expect(page.getByTestId('editor-verdict')).toContainText(/: same person \(similarity (1\.000|0\.99\d)/)
  await expect(page.getByTestId('editor-verdict')).toContainText('colour dirt 0.0')
  await setStrength('1')
  await expect(page.getByTestId('editor-strength-value')).toHaveText('1.0')
  // Its verdict comes back once the settled render (composite and judges) has answered.
  await expect(page.getByTestId('editor-verdict')).not.toContainText('colour dirt 0.0', { timeout: 30_000 })
  // Dragging draws previews: the old picture's scores go, and come back for the new one when the slider is let go.
  const slider = page.getByTestId('editor-slider')
  const moved = await after.getAttribute('src')
  await slider.evaluate((el: HTMLInputElement) => ((el.value = '3'), el.dispatchEvent(new Event('input', { bubbles: true }))))
  await expect(page.getByTestId('editor-scores-pending')).toContainText('once the slider stops')
  await expect(page.getByTestId('editor-identity')).toHaveCount(0)
  await expect.poll(() => after.getAttribute('src')).not.toBe(moved)
  await page.getByTestId('editor-scores-pending').locator('..').screenshot({ path: 'test-results/editor-scores-pending.png' })
  await slider.evaluate((el: HTMLInputElement) => el.dispatchEvent(new Event('change', { bubbles: true })))
  await expect(page.getByTestId('editor-identity')).toContainText(/Refinement distance \d\.\d{3}/)
  await expect(page.getByTestId('editor-scores-pending')).toHaveCount(0)
  await page.getByTestId('editor-strip').locator('button').last().click()
  await expect(page.getByTestId('editor-age')).toHaveText('about 70 years')

  await page.getByTestId('editor-show-variations').click()
  await expect(page.getByTestId('editor-variations').locator('button')).toHaveCount(4, { timeout: 60_000 })
  await page.getByTestId('editor-variation-2').click()

  await page.getByTestId('editor-export').click()
  await expect(page.getByTestId('editor-exported')).toContainText('1920×1280 PNG', { timeout: 60_000 })
  await expect(page.getByTestId('editor-exported-verdict')).toContainText(
    /Judged on this file's pixels by the independent judges: (same person|not the same person) \(similarity -?\d\.\d{3}\), looks \d+, colour dirt \d+\.\d\./,
  )
  // The file comes from the studio's download route, not a multi-megabyte data: address in the page.
  expect(await page.getByTestId('editor-download').getAttribute('href')).toMatch(/^\/download\/exports\/[0-9a-f-]{36}$/)
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('editor-download').click()])
  const bytes = readFileSync(await download.path())
  const meta = await sharp(bytes).metadata()
  expect([meta.width, meta.height]).toEqual([1920, 1280])
  const provenance = (await readProvenance(bytes)) as Record<string, any>
  expect(provenance.parameters).toMatchObject({ position: 5, variation: 2, composite: 'residual', strength: 1 })
  expect(provenance.model.origin).toMatch(/^bundle:/)

  // A look at another tab keeps the photo and its edit.
  await page.getByTestId('nav-library').click()
  await expect(page.getByTestId('editor-split')).toBeHidden()
  await page.getByTestId('nav-editor').click()
  await expect(page.getByTestId('editor-exported')).toBeVisible()
  await expect(page.getByTestId('editor-age')).toHaveText('about 70 years')

  // Another photo opens fitted: never the last photo's 1:1 position (another person) under a lit "Fit".
  await page.getByTestId('view-1x').click()
  await expect(view).not.toHaveAttribute('data-region', '0,0,1920,1280')
  const second = await sharp(DEMO_PHOTOS[1]).metadata()
  await page.getByTestId('editor-file').setInputFiles(DEMO_PHOTOS[1])
  await expect(page.getByTestId('editor-photo')).toBeVisible({ timeout: 60_000 })
  if ((await faces.count()) > 1) await page.getByTestId('editor-face-0').click()
  await expect(view).toHaveAttribute('data-region', `0,0,${second.width},${second.height}`, { timeout: 60_000 })
  await expect(page.getByTestId('view-fit')).toHaveClass(/active/)
  await expect(page.getByTestId('view-readout')).toContainText(`whole photo, ${second.width}×${second.height}`)
})

test('age three photos as a batch and see the contact sheet', async ({ page }) => {
  test.setTimeout(240_000)
  served = await serveStudio()
  const folder = join(served.home, 'case')
  mkdirSync(folder)
  DEMO_PHOTOS.slice(3, 6).forEach((photo, i) => copyFileSync(photo, join(folder, `photo${i + 1}.jpg`)))
  expect(spawnSync(process.execPath, [CLI, '--home', served.home, 'import-model', bundle]).status).toBe(0)

  await page.goto(served.url)
  await page.getByTestId('nav-batch').click()
  await expect(page.getByTestId('editor-model')).toContainText('imported')
  // With nothing to age, the button says why it is off.
  await expect(page.getByTestId('batch-start')).toBeDisabled()
  await expect(page.getByTestId('batch-blocked')).toHaveText('Add a photo or folder first.')
  // The photos go up from the browser, as an offline investigator's laptop would send them.
  await page.getByTestId('batch-send-folder').setInputFiles(folder)
  await expect(page.getByTestId('batch-paths')).toHaveValue(/\/imports\/.* case$/)
  // A wrong age is said beside its field in one plain sentence with the range, never validator text.
  for (const bad of ['40, sixty', '40, 130']) {
    await page.getByTestId('batch-ages').fill(bad)
    await expect(page.getByTestId('batch-problem-ages')).toHaveText('Target ages: years from 0 to 120, separated by commas, e.g. 40, 60, 75.')
    await expect(page.getByTestId('batch-start')).toBeDisabled()
    await expect(page.getByTestId('batch-blocked')).toHaveText('Fix the field marked above first.')
  }
  // One age range across the studio: 110 is as valid a target here as in the editor.
  await page.getByTestId('batch-ages').fill('110')
  await expect(page.getByTestId('batch-problem-ages')).toHaveCount(0)
  await expect(page.getByTestId('batch-start')).toBeEnabled()
  await page.getByTestId('batch-ages').fill('30, 70')
  await page.getByTestId('batch-iterations').fill('2')
  // No output folder: web mode's users cannot name one on the server, so the studio makes one.
  await expect(page.getByTestId('batch-out')).toHaveValue('')
  await page.screenshot({ path: 'test-results/batch-form.png' })
  await page.getByTestId('batch-start').click()
  // Cancel is offered from the start, while the model loads and faces are found.
  await expect(page.getByTestId('batch-progress')).toContainText('loading the model')
  await expect(page.getByTestId('batch-cancel')).toBeVisible()
  await expect(page.getByTestId('batch-report')).toContainText('6 outputs from 3 photos', { timeout: 180_000 })
  await expect(page.getByTestId('batch-sheet')).toBeVisible()
  const aged = (await page.getByTestId('batch-outdir').textContent())!
  expect(aged.startsWith(join(served.home, 'batches', ''))).toBe(true)
  const manifest = JSON.parse(readFileSync(join(aged, 'manifest.json'), 'utf8'))
  expect(manifest.outputs).toHaveLength(6)

  // Web mode: the results come down to the browser, each file and the whole folder as a zip.
  const [json] = await Promise.all([
    page.waitForEvent('download'),
    page
      .getByTestId('batch-file')
      .filter({ hasText: /^manifest\.json$/ })
      .click(),
  ])
  expect(readFileSync(await json.path(), 'utf8')).toBe(readFileSync(join(aged, 'manifest.json'), 'utf8'))
  // The contact sheet PDF is a case document: its words are text (file names, hashes, model).
  const [pdf] = await Promise.all([
    page.waitForEvent('download'),
    page
      .getByTestId('batch-file')
      .filter({ hasText: /^contact-sheet\.pdf$/ })
      .click(),
  ])
  const text = spawnSync('pdftotext', [await pdf.path(), '-'], { encoding: 'utf8' })
  if (text.error) console.log(`skipping the PDF text check: ${text.error.message} (apt-get install poppler-utils)`)
  else
    for (const needle of ['photo1.jpg', 'photo3.jpg', manifest.outputs[0].inputSha256, manifest.outputs[0].modelHash, 'Target ages 30, 70 years'])
      expect(text.stdout).toContain(needle)
  await expect(page.getByTestId('batch-zip')).toContainText(/zip, \d+ files/)
  const [zip] = await Promise.all([page.waitForEvent('download'), page.getByTestId('batch-zip').click()])
  const listing = spawnSync(
    'python3',
    ['-c', 'import json,sys,zipfile; z=zipfile.ZipFile(sys.argv[1]); print(json.dumps([z.testzip(), z.namelist()]))', await zip.path()],
    { encoding: 'utf8' },
  )
  const [bad, names] = JSON.parse(listing.stdout) as [string | null, string[]]
  expect(bad).toBeNull()
  expect(names).toEqual(
    expect.arrayContaining([
      'manifest.json',
      'manifest.csv',
      'contact-sheet.pdf',
      ...manifest.outputs.map((o: { output: string }) => relative(aged, resolve(aged, o.output))),
    ]),
  )
})

test('open a run’s encoder checkpoint in the editor from the Training view, then drop a photo on it', async ({ page }) => {
  test.setTimeout(180_000)
  served = await serveStudio()
  const cli = (...args: string[]) => spawnSync(process.execPath, [CLI, '--home', served!.home, ...args, '--json'], { encoding: 'utf8' })
  expect(cli('demo', '--count', '60').status).toBe(0)
  const trained = cli('train', '--preset', 'tiny', '--steps', '2', '--encoder-steps', '2', '--batch', '8', '--checkpoint-every', '2')
  const runId = JSON.parse(trained.stdout).runId

  await page.goto(`${served.url}#run=${runId}`)
  await page.getByTestId('checkpoint-editor').click()
  await expect(page.getByTestId('nav-editor')).toHaveClass(/active/)
  const picker = page.getByTestId('editor-model')
  await expect(picker).toBeVisible()
  expect(await picker.locator('option:checked').textContent()).toContain(runId)

  // A photo dropped on the editor opens like a chosen one.
  const photo = readFileSync(DEMO_PHOTOS[1]).toString('base64')
  const drop = await page.evaluateHandle((data) => {
    const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0))
    const transfer = new DataTransfer()
    transfer.items.add(new File([bytes], 'dropped.jpg', { type: 'image/jpeg' }))
    return transfer
  }, photo)
  await page.getByTestId('editor-drop').dispatchEvent('drop', { dataTransfer: drop })
  await expect(page.getByTestId('editor-photo')).toBeVisible({ timeout: 60_000 })
  await expect(page.getByText(/dropped\.jpg · 1920×1367/)).toBeVisible()

  // An age out of range is said beside the field, with the range, and nothing is asked of the engine.
  await page.locator('[data-testid^="editor-face-"]').first().click()
  await expect(page.getByTestId('editor-source-age')).toBeVisible({ timeout: 60_000 })
  await page.getByTestId('editor-source-age').fill('130')
  await page.getByTestId('editor-source-age').press('Enter')
  await page.getByTestId('editor-source-age').blur()
  await expect(page.getByTestId('editor-source-age-problem')).toHaveText("The face's age is a whole number of years from 0 to 120.")
  await expect(page.locator('main')).not.toContainText('Invalid input')
  await expect(page.locator('main')).not.toContainText('✖')
  await page.getByTestId('editor-source-age').fill('45')
  await expect(page.getByTestId('editor-source-age-problem')).toHaveCount(0)
})
