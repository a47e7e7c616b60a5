// Smoke test of the real desktop app. Needs the Electron binary, which these CI machines cannot
// download (ELECTRON_SKIP_BINARY_DOWNLOAD=1): there it is skipped with the reason printed.
import { _electron as electron, expect, test } from '@playwright/test'
import { execFileSync } from 'node:child_process'
import { existsSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { ROOT, tempHome } from '../helpers/serve'

function electronBinary(): string | null {
  try {
    const path = createRequire(join(ROOT, 'package.json'))('electron') as string
    return existsSync(path) ? path : null
  } catch {
    return null
  }
}

const binary = electronBinary()
// Chromium refuses to start its OS sandbox as root (CI runs as root); the renderer's JS sandbox stays on.
const rootArgs = process.getuid?.() === 0 ? ['--no-sandbox'] : []
const reason = 'no Electron binary in node_modules/electron (installed with ELECTRON_SKIP_BINARY_DOWNLOAD=1)'

test('the desktop studio starts sandboxed and shows the Library', async () => {
  if (!binary) console.log(`Electron smoke test skipped: ${reason}`)
  test.skip(!binary, reason)
  execFileSync(process.execPath, [join(ROOT, 'scripts', 'native-electron.mjs')], { stdio: 'inherit' })
  const home = tempHome('age-studio-electron-')
  const app = await electron.launch({ executablePath: binary!, args: [ROOT, '--home', home, ...rootArgs] })
  try {
    const page = await app.firstWindow()
    await expect(page.getByTestId('app-status')).toContainText('desktop')
    // The renderer has no Node, and window.studio is the contract's transport and nothing more.
    expect(await page.evaluate(() => typeof (globalThis as { require?: unknown }).require)).toBe('undefined')
    expect(await page.evaluate(() => Object.keys(window.studio ?? {}).sort())).toEqual(['call', 'subscribe'])
    await page.getByTestId('demo-count').fill('12')
    await page.getByTestId('create-demo').click()
    await expect(page.getByTestId('library-count')).toHaveText('12 of 12 images')
  } finally {
    await app.close()
    rmSync(home, { recursive: true, force: true })
  }
})
