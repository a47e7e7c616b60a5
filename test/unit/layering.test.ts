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
