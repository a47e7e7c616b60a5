import { describe, expect, it } from 'vitest'
import { explainNativeError, NativeModuleError, openDatabase } from '../../src/engine/catalog/native'

// Node's exact wording when a .node file was built for another runtime's ABI.
const MISMATCH = new Error(
  "The module '/app/node_modules/better-sqlite3/build/Release/better_sqlite3.node'\n" +
    'was compiled against a different Node.js version using\nNODE_MODULE_VERSION 145. This version of Node.js requires\n' +
    'NODE_MODULE_VERSION 115. Please try re-compiling or re-installing\nthe module (for instance, using `npm rebuild` or `npm install`).',
)

describe('better-sqlite3 ABI handling', () => {
  it('turns an ABI mismatch under Node into one sentence with the fix', () => {
    const explained = explainNativeError(MISMATCH, false) as Error
    expect(explained).toBeInstanceOf(NativeModuleError)
    expect(explained.message).toMatch(/built for ABI 145 but Node\.js v\d+\.\d+\.\d+ needs ABI 115/)
    expect(explained.message).toContain('`npm rebuild better-sqlite3`')
    expect(explained.message.split('. ').length).toBe(1)
  })

  it('points Electron users at the Electron build', () => {
    expect((explainNativeError(MISMATCH, true) as Error).message).toContain('`npm run native:electron`')
  })

  it('leaves other errors alone', () => {
    const other = new Error('disk full')
    expect(explainNativeError(other, false)).toBe(other)
  })

  it('says which command makes a missing Electron build', () => {
    expect(() => openDatabase(':memory:', '/nonexistent/better_sqlite3.node')).toThrow(/missing .*npm rebuild better-sqlite3/)
  })
})
