import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { createHandlers } from '../../src/engine/api/handlers'
import { Studio } from '../../src/engine/studio'
import { startWebServer, type WebServer } from '../../src/server/server'
import { tempHome } from '../helpers/serve'

const TOKEN = 'test-token-0123456789'
let home: string
let studio: Studio
let server: WebServer
let origin: string

beforeAll(async () => {
  home = tempHome('age-studio-server-')
  const staticDir = join(home, 'renderer')
  mkdirSync(staticDir)
  writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>studio</title>')
  studio = Studio.open(join(home, 'data'), { mode: 'web' })
  server = await startWebServer({ handlers: createHandlers(studio), events: studio.events, staticDir, token: TOKEN })
  origin = new URL(server.url).origin
})
afterAll(async () => {
  await server.close()
  await studio.close()
  rmSync(home, { recursive: true, force: true })
})

const post = (path: string, body: string | undefined, headers: Record<string, string> = {}) =>
  fetch(`${origin}${path}`, { method: 'POST', body, headers: { 'Content-Type': 'application/json', ...headers } })
const auth = { Authorization: `Bearer ${TOKEN}` }

function openSocket(url: string, headers: Record<string, string> = {}): Promise<{ ws: WebSocket; opened: boolean }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { headers })
    ws.once('open', () => resolve({ ws, opened: true }))
    ws.once('error', () => resolve({ ws, opened: false }))
  })
}

describe('web mode server', () => {
  it('binds 127.0.0.1 and prints the token in its URL', () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=test-token-0123456789$/)
  })

  it('refuses API calls without the right token, and answers with it', async () => {
    expect((await post('/api/call/app.info', '{}')).status).toBe(401)
    expect((await post('/api/call/app.info?token=wrong', '{}')).status).toBe(401)
    expect((await post('/api/call/app.info', '{}', { Authorization: `Bearer ${TOKEN}x` })).status).toBe(401)
    const ok = await post(`/api/call/app.info?token=${TOKEN}`, '{}')
    expect(ok.status).toBe(200)
    expect(((await ok.json()) as { result: { mode: string } }).result.mode).toBe('web')
  })

  it('gives clear errors for bad bodies and calls', async () => {
    const notJson = await post('/api/call/app.info', '{oops', auth)
    expect(notJson.status).toBe(400)
    expect(((await notJson.json()) as { error: { message: string } }).error.message).toMatch(/not valid JSON/)
    const huge = await post('/api/call/library.list', JSON.stringify({ pad: 'x'.repeat(2 * 1024 * 1024) }), auth)
    expect(huge.status).toBe(413)
    expect((await post('/api/call/no.such', '{}', auth)).status).toBe(404)
    expect((await post('/api/call/library.list', '{"limit": -5}', auth)).status).toBe(400)
  })

  it('serves the renderer but nothing outside it', async () => {
    const index = await fetch(`${origin}/`)
    expect(index.status).toBe(200)
    expect(index.headers.get('content-security-policy')).toContain("script-src 'self'")
    for (const path of ['/../data/catalog.sqlite', '/%2e%2e/data/catalog.sqlite', '/..%2fdata%2fcatalog.sqlite', '/%00']) {
      expect((await fetch(`${origin}${path}`)).status, path).toBe(404)
    }
  })

  it('closes sockets without the token or from another origin', async () => {
    const wsUrl = `${origin.replace('http', 'ws')}/ws`
    expect((await openSocket(wsUrl)).opened).toBe(false)
    expect((await openSocket(`${wsUrl}?token=wrong`)).opened).toBe(false)
    expect((await openSocket(`${wsUrl}?token=${TOKEN}`, { Origin: 'http://evil.example' })).opened).toBe(false)
  })

  it('carries calls and streams events over the socket', async () => {
    const { ws, opened } = await openSocket(`${origin.replace('http', 'ws')}/ws?token=${TOKEN}`)
    expect(opened).toBe(true)
    const messages: { type: string; id?: number; event?: string; reply?: { ok: boolean; result?: { created: number } } }[] = []
    ws.on('message', (data) => messages.push(JSON.parse(String(data))))
    ws.send('not json')
    ws.send(JSON.stringify({ type: 'call', id: 1, name: 'library.createDemo', input: { count: 12, seed: 3 } }))
    await expect.poll(() => messages.find((m) => m.id === 1), { timeout: 30_000 }).toBeTruthy()
    expect(messages.find((m) => m.id === 1)!.reply).toMatchObject({ ok: true, result: { created: 12 } })
    expect(messages.some((m) => m.type === 'error')).toBe(true)
    expect(messages.some((m) => m.event === 'job.progress')).toBe(true)
    expect(messages.some((m) => m.event === 'catalog.changed')).toBe(true)
    ws.close()
  })
})
