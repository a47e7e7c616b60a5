/**
 * `npm run bench`: prints the numbers behind the studio's speed targets. Numbers only, no
 * pass/fail: these machines are noisy, so tests never assert timings.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createHandlers } from '../engine/api/handlers'
import { Studio } from '../engine/studio'

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const start = performance.now()
  const result = await fn()
  return [result, (performance.now() - start) / 1000]
}

async function main() {
  const home = mkdtempSync(join(tmpdir(), 'age-studio-bench-'))
  const studio = Studio.open(home, { mode: 'cli' })
  const handlers = createHandlers(studio)
  try {
    const count = 600
    const [, demoSeconds] = await timed(() => handlers['library.createDemo']({ count, seed: 7 }))
    console.log(`demo dataset: ${count} faces in ${demoSeconds.toFixed(2)} s = ${(count / demoSeconds).toFixed(1)} faces/s`)

    const pages = 50
    const [, listSeconds] = await timed(async () => {
      for (let i = 0; i < pages; i++) await handlers['library.list']({ bin: i % 6, offset: 0, limit: 100 })
    })
    console.log(`library.list: ${((listSeconds / pages) * 1000).toFixed(1)} ms per page of 100 (with thumbnails)`)
  } finally {
    studio.close()
    rmSync(home, { recursive: true, force: true })
  }
}

void main()
