import { resolve } from 'node:path'
import { svelte } from '@sveltejs/vite-plugin-svelte'
import { defineConfig } from 'vitest/config'

export default defineConfig({
  // The UI's lib/ files (unit-tested here) import the shared contract as the renderer does.
  resolve: { alias: { $shared: resolve(import.meta.dirname, 'src/shared') } },
  // UI state modules (lib/*.svelte.ts) use runes: compiled as the renderer compiles them.
  plugins: [svelte({ configFile: resolve(import.meta.dirname, 'svelte.config.mjs') })],
  test: {
    include: ['test/unit/**/*.test.ts', 'test/engine/**/*.test.ts'],
    // better-sqlite3 and sharp are native: forks keep each file in its own process.
    pool: 'forks',
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
})
