import { expect, test } from '@playwright/test'
import { serveStudio, type Served } from '../helpers/serve'

let served: Served

test.beforeEach(async () => {
  served = await serveStudio()
})
test.afterEach(async () => {
  await served.stop()
})

test('create the demo dataset, filter by bin and open an image', async ({ page }) => {
  await page.goto(served.url)
  await expect(page.getByTestId('library-empty')).toBeVisible()
  // The backend new runs would train on is shown.
  await expect(page.getByTestId('app-backend')).toHaveText(/^(tfjs-node-gpu|tfjs-node|cpu\+blas|cpu)$/)
  // The token leaves the address bar once the client has it.
  await expect.poll(() => page.url()).not.toContain('token=')

  await page.getByTestId('demo-count').fill('120')
  await page.getByTestId('demo-seed').fill('5')
  await page.getByTestId('create-demo').click()
  await expect(page.getByTestId('demo-message')).toHaveText('Added 120 faces.')
  await expect(page.getByTestId('library-count')).toHaveText('120 of 120 images')
  for (let bin = 0; bin < 6; bin++) await expect(page.getByTestId(`hist-count-${bin}`)).toHaveText('20')
  await expect(page.getByTestId('grid-cell').first().locator('img')).toBeVisible()

  await page.getByTestId('filter-bin-5').click()
  await expect(page.getByTestId('library-count')).toHaveText('20 of 120 images aged 60+')
  const cells = page.getByTestId('grid-cell')
  await expect(cells).toHaveCount(20)
  for (const bin of await cells.evaluateAll((els) => els.map((el) => el.getAttribute('data-bin')))) expect(bin).toBe('5')

  await cells.nth(3).click()
  const details = page.getByTestId('image-details')
  await expect(details).toBeVisible()
  await expect(page.getByTestId('detail-bin')).toHaveText('60+')
  expect(Number(await page.getByTestId('detail-age').textContent())).toBeGreaterThanOrEqual(60)
  await expect(page.getByTestId('detail-age-source')).toHaveText('dataset label')
  await expect(page.getByTestId('detail-source')).toContainText('demo://seed-5/')
  const size = await page.getByTestId('detail-picture').evaluate((img: HTMLImageElement) => img.naturalWidth)
  expect(size).toBe(128)
  await page.screenshot({ path: 'test-results/library-details.png' })

  // A reload keeps the session (token kept for this tab) and the catalog.
  await page.reload()
  await expect(page.getByTestId('library-count')).toHaveText('120 of 120 images')
})

test('the histogram filters too, and the grid stays virtualized for large catalogs', async ({ page, request }) => {
  const reply = await request.post(`${served.origin}/api/call/library.createDemo`, {
    headers: { Authorization: `Bearer ${served.token}` },
    data: { count: 1200, seed: 2 },
  })
  expect(reply.status()).toBe(200)
  await page.goto(served.url)
  await expect(page.getByTestId('library-count')).toHaveText('1200 of 1200 images')
  // Far fewer cells than images exist in the DOM.
  const rendered = await page.getByTestId('grid-cell').count()
  expect(rendered).toBeGreaterThan(0)
  expect(rendered).toBeLessThan(400)
  await page.getByTestId('image-grid').evaluate((el) => el.scrollTo(0, el.scrollHeight))
  await expect(page.getByTestId('grid-cell').last().locator('img')).toBeVisible()

  await page.getByTestId('hist-bin-2').click()
  await expect(page.getByTestId('library-count')).toHaveText('200 of 1200 images aged 30–39')
})

test('API requests and sockets without the token are refused', async ({ page, request }) => {
  const anonymous = await request.post(`${served.origin}/api/call/app.info`, { data: {} })
  expect(anonymous.status()).toBe(401)
  const wrong = await request.post(`${served.origin}/api/call/app.info?token=nope`, { data: {} })
  expect(wrong.status()).toBe(401)
  const good = await request.post(`${served.origin}/api/call/app.info?token=${served.token}`, { data: {} })
  expect(good.status()).toBe(200)
  expect((await good.json()).result.mode).toBe('web')

  await page.goto(`${served.origin}/`)
  const outcome = await page.evaluate(
    (origin) =>
      new Promise<string>((resolve) => {
        const socket = new WebSocket(origin.replace('http', 'ws') + '/ws')
        socket.onopen = () => resolve('open')
        socket.onclose = () => resolve('closed')
      }),
    served.origin,
  )
  expect(outcome).toBe('closed')
})
