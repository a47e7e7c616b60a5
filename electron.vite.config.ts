import { svelte } from '@sveltejs/vite-plugin-svelte'
import { defineConfig } from 'electron-vite'
import { resolve } from 'node:path'

export default defineConfig({
  main: {
    build: {
      rollupOptions: {
        // The Electron main process, plus the Node entry points that share the engine:
        // the age-studio CLI (which also runs web mode), the benchmark and the training worker.
        input: {
          index: resolve(__dirname, 'src/main/index.ts'),
          cli: resolve(__dirname, 'src/cli/index.ts'),
          bench: resolve(__dirname, 'src/bench/index.ts'),
          trainWorker: resolve(__dirname, 'src/engine/workers/training/worker.ts'),
          importWorker: resolve(__dirname, 'src/engine/workers/import/worker.ts'),
          agingWorker: resolve(__dirname, 'src/engine/workers/aging/worker.ts'),
        },
      },
    },
  },
  preload: {
    build: {
      rollupOptions: { input: { index: resolve(__dirname, 'src/preload/index.ts') } },
    },
  },
  renderer: {
    root: resolve(__dirname, 'src/renderer'),
    // The contract and domain types, from any depth of the UI: import … from '$shared/contract'.
    resolve: { alias: { $shared: resolve(__dirname, 'src/shared') } },
    build: {
      rollupOptions: { input: { index: resolve(__dirname, 'src/renderer/index.html') } },
    },
    plugins: [svelte({ configFile: resolve(__dirname, 'svelte.config.mjs') })],
  },
})
