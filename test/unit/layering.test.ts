import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'

const SRC = join(__dirname, '..', '..', 'src')

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    return statSync(path).isDirectory() ? sources(path) : /\.(ts|svelte)$/.test(name) ? [path] : []
  })
}

const imports = (file: string) => [...readFileSync(file, 'utf8').matchAll(/^[ \t]*import\s(?:[^'";]*?\sfrom\s)?['"]([^'"]+)['"]/gm)].map((m) => m[1])

describe('layering (docs/architecture.md)', () => {
  it('nothing under src/engine imports electron', () => {
    const offenders = sources(join(SRC, 'engine')).filter((file) => imports(file).some((m) => m === 'electron' || m.startsWith('electron/')))
    expect(offenders).toEqual([])
  })

  it('src/shared has no Node, Electron or DOM imports', () => {
    const files = sources(join(SRC, 'shared'))
    expect(files.length).toBeGreaterThan(2)
    for (const file of files) {
      for (const specifier of imports(file)) expect(specifier, file).toMatch(/^(\.\/|zod$)/)
      expect(readFileSync(file, 'utf8'), file).not.toMatch(/\b(document|window|process)\.\w/)
    }
  })

  it('no training or refinement code imports the judges (they never appear in a loss)', () => {
    const losses = [...sources(join(SRC, 'engine', 'training')), ...sources(join(SRC, 'engine', 'model')), join(SRC, 'engine', 'aging', 'latentOptimizer.ts')]
    expect(losses.length).toBeGreaterThan(5)
    for (const file of losses)
      expect(
        imports(file).filter((m) => /evaluation/.test(m)),
        file,
      ).toEqual([])
    // Who calls the judges: each does so after refinement, outside any tape (judges.ts refuses otherwise).
    const judged = sources(join(SRC, 'engine')).filter((file) => imports(file).some((m) => /\/judges$/.test(m)))
    expect(judged.map((file) => file.slice(SRC.length + 1)).sort()).toEqual([
      'engine/aging/agePhoto.ts',
      'engine/aging/editorSessions.ts',
      'engine/aging/exportVerdict.ts',
      'engine/aging/faceEdit.ts',
      'engine/evaluation/evaluate.ts',
    ])
  })

  it('the renderer never imports the engine or Node', () => {
    const files = sources(join(SRC, 'renderer'))
    expect(files.flatMap(imports)).toContain('../lib/client')
    for (const file of files) {
      for (const specifier of imports(file)) {
        expect(specifier, file).not.toMatch(/engine|^node:|^electron|better-sqlite3|sharp/)
      }
    }
  })
})
