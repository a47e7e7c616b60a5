// The web-mode session as a user meets it: the printed address once, then reloads, bookmarks and
// new tabs without the token (an HttpOnly cookie carries it); a browser without a session is told,
// in one sentence, which address to open instead of seeing an empty studio.
import { expect, test } from '@playwright/test'
import { serveStudio, type Served } from '../helpers/serve'

let served: Served

test.beforeEach(async () => {
  served = await serveStudio()
})
test.afterEach(async () => {
  await served.stop()
})

test('reload, bookmark and new tab keep the session; a browser without one is told what to open', async ({ page, context, browser }) => {
  await page.goto(served.url)
  await page.getByTestId('demo-count').fill('12')
  await page.getByTestId('create-demo').click()
  await expect(page.getByTestId('library-count')).toHaveText('12 of 12 images')
  await expect.poll(() => page.url()).not.toContain('token=')

  await page.reload()
  await expect(page.getByTestId('library-count')).toHaveText('12 of 12 images')

  // A bookmark of the address bar, opened in a new tab of the same browser.
  const tab = await context.newPage()
  await tab.goto(`${served.origin}/`)
  await expect(tab.getByTestId('library-count')).toHaveText('12 of 12 images')

  // Another browser profile (no cookie) at the same bare address.
  const stranger = await browser.newContext()
  const bare = await stranger.newPage()
  const response = await bare.goto(`${served.origin}/`)
  expect(response!.status()).toBe(401)
  await expect(bare.getByTestId('no-session')).toContainText('Open the address that age-studio serve printed')
  await expect(bare.getByTestId('library-count')).toHaveCount(0)
  await bare.screenshot({ path: test.info().outputPath('no-session.png') })
  await stranger.close()
})

test('a lost connection is said plainly while the page retries', async ({ page }) => {
  await page.goto(served.url)
  await page.getByTestId('demo-count').fill('12')
  await page.getByTestId('create-demo').click()
  await expect(page.getByTestId('library-count')).toHaveText('12 of 12 images')
  await expect(page.getByTestId('connection-lost')).toHaveCount(0)
  // The server goes away under the open page: the banner says so while it retries.
  await served.stop()
  await expect(page.getByTestId('connection-lost')).toContainText('Lost the connection to the studio')
  await expect(page.getByTestId('app-status')).toContainText('disconnected')
})
