import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { createHandlers } from '../../src/engine/api/handlers'
import { Studio } from '../../src/engine/studio'
import { bindWarning, startWebServer, type WebServer } from '../../src/server/server'
import { HostGuard, isLoopback } from '../../src/server/auth'
import { request as httpRequest, type IncomingMessage } from 'node:http'
import { findDownload } from '../../src/engine/downloads'
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
  server = await startWebServer({
    handlers: createHandlers(studio),
    events: studio.events,
    staticDir,
    token: TOKEN,
    downloads: (path) => findDownload(studio, path),
  })
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

/** A request with headers fetch will not set (Host), through node:http. */
function raw(method: string, path: string, headers: Record<string, string>, body?: string): Promise<{ status: number }> {
  const { hostname, port } = new URL(origin)
  return new Promise((resolve, reject) => {
    const request = httpRequest({ hostname, port, method, path, headers, setHost: false }, (response) => {
      response.resume()
      resolve({ status: response.statusCode! })
    })
    request.on('error', reject)
    request.end(body)
  })
}

function openSocket(url: string, headers: Record<string, string> = {}): Promise<{ ws: WebSocket; opened: boolean }> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { headers })
    ws.once('open', () => resolve({ ws, opened: true }))
    ws.once('error', () => resolve({ ws, opened: false }))
  })
}

describe('web mode server', () => {
  it('downloads a batch folder file by file and as a zip, and nothing outside it', async () => {
    const jobId = '0b6a4a3e-8f00-4c55-9d4e-5d0a1c2b3e4f'
    const out = join(home, 'aged')
    mkdirSync(join(out, 'Zoë-1a2b3c4d'), { recursive: true })
    writeFileSync(join(out, 'manifest.json'), '{"outputs":[]}')
    writeFileSync(join(out, 'Zoë-1a2b3c4d', 'age60.png'), Buffer.alloc(3000, 7))
    writeFileSync(join(home, 'secret.txt'), 'not yours')
    symlinkSync(join(home, 'secret.txt'), join(out, 'link.txt'))
    studio.catalog.db.prepare("INSERT INTO aging_jobs (id, kind, params, status, out_dir) VALUES (?, 'batch', '{}', 'done', ?)").run(jobId, out)

    const get = (path: string, headers: Record<string, string> = auth) => fetch(`${origin}${path}`, { headers })
    const listed = await post('/api/call/batch.files', JSON.stringify({ jobId }), auth)
    expect((await listed.json()).result.files).toEqual([
      { path: 'manifest.json', bytes: 14 },
      { path: 'Zoë-1a2b3c4d/age60.png', bytes: 3000 },
    ])
    expect((await get(`/download/batch/${jobId}/files/manifest.json`, {})).status).toBe(401)
    const manifest = await get(`/download/batch/${jobId}/files/manifest.json`)
    expect([manifest.status, manifest.headers.get('content-type'), await manifest.text()]).toEqual([200, 'application/json', '{"outputs":[]}'])
    const photo = await get(`/download/batch/${jobId}/files/${encodeURIComponent('Zoë-1a2b3c4d/age60.png')}`)
    expect(photo.headers.get('content-disposition')).toBe(`attachment; filename="age60.png"; filename*=UTF-8''age60.png`)
    expect(Buffer.from(await photo.arrayBuffer())).toEqual(Buffer.alloc(3000, 7))
    for (const path of ['link.txt', '..%2Fsecret.txt', '../secret.txt', '%2E%2E/secret.txt', 'Zo%C3%AB-1a2b3c4d/../../secret.txt', '%E0%A4%A', '']) {
      const reply = await get(`/download/batch/${jobId}/files/${path}`)
      expect(reply.status, path).toBe(404)
      expect(await reply.text(), path).not.toContain('not yours')
    }
    expect((await get('/download/batch/00000000-0000-4000-8000-000000000000/all.zip')).status).toBe(404)
    expect((await fetch(`${origin}/download/batch/${jobId}/all.zip`, { method: 'POST', headers: auth })).status).toBe(404)

    // The zip holds exactly the listed files, intact (checked by Python's zipfile).
    const zip = await get(`/download/batch/${jobId}/all.zip`)
    expect(zip.headers.get('content-type')).toBe('application/zip')
    writeFileSync(join(home, 'all.zip'), Buffer.from(await zip.arrayBuffer()))
    const check = spawnSync(
      'python3',
      [
        '-c',
        'import json,sys,zipfile; z=zipfile.ZipFile(sys.argv[1]); print(json.dumps([z.testzip(), z.namelist(), len(z.read(z.namelist()[1]))]))',
        join(home, 'all.zip'),
      ],
      { encoding: 'utf8' },
    )
    expect(JSON.parse(check.stdout)).toEqual([null, ['manifest.json', 'Zoë-1a2b3c4d/age60.png'], 3000])
    expect(readFileSync(join(home, 'secret.txt'), 'utf8')).toBe('not yours')
  })

  it('downloads an editor export by its job, only while it is the file that was written', async () => {
    const jobId = '7c1d2e3f-0a1b-4c2d-8e3f-405162738495'
    const file = join(home, 'exports', 'face-age70-7c1d2e3f.png')
    mkdirSync(join(home, 'exports'), { recursive: true })
    const bytes = Buffer.alloc(5000, 9)
    writeFileSync(file, bytes)
    studio.catalog.db
      .prepare("INSERT INTO aging_jobs (id, kind, params, status, out_dir) VALUES (?, 'single', '{}', 'done', ?)")
      .run(jobId, join(home, 'exports'))
    studio.catalog.db
      .prepare("INSERT INTO aging_outputs (job_id, input_path, input_sha256, output_file, output_sha256, provenance) VALUES (?, 'face.png', 'x', ?, ?, '{}')")
      .run(jobId, file, createHash('sha256').update(bytes).digest('hex'))
    const get = (path: string, headers: Record<string, string> = auth) => fetch(`${origin}${path}`, { headers })

    expect((await get(`/download/exports/${jobId}`, {})).status).toBe(401)
    const reply = await get(`/download/exports/${jobId}`)
    expect(reply.headers.get('content-disposition')).toContain('filename="face-age70-7c1d2e3f.png"')
    expect(Buffer.from(await reply.arrayBuffer())).toEqual(bytes)
    // A batch job, an unknown job and a crafted address are not exports.
    for (const path of ['0b6a4a3e-8f00-4c55-9d4e-5d0a1c2b3e4f', '00000000-0000-4000-8000-000000000000', `${jobId}/..`, '..%2Fsecret.txt']) {
      expect((await get(`/download/exports/${path}`)).status, path).toBe(404)
    }
    // Changed on disk, or replaced by a link: no longer the export, so not served.
    writeFileSync(file, Buffer.alloc(5000, 1))
    const changed = await get(`/download/exports/${jobId}`)
    expect([changed.status, (await changed.json()).error.message]).toEqual([
      404,
      'The export face-age70-7c1d2e3f.png is no longer where it was written, as written.',
    ])
    rmSync(file)
    writeFileSync(join(home, 'secret.txt'), 'not yours')
    symlinkSync(join(home, 'secret.txt'), file)
    const linked = await get(`/download/exports/${jobId}`)
    expect(linked.status).toBe(404)
    expect(await linked.text()).not.toContain('not yours')
  })

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
    const index = await fetch(`${origin}/?token=${TOKEN}`)
    expect(index.status).toBe(200)
    expect(index.headers.get('content-security-policy')).toContain("script-src 'self'")
    for (const path of ['/../data/catalog.sqlite', '/%2e%2e/data/catalog.sqlite', '/..%2fdata%2fcatalog.sqlite', '/%00', '/%E0%A4%A', '/%']) {
      expect((await fetch(`${origin}${path}`)).status, path).toBe(404)
    }
  })

  it('keeps the session in a strict HttpOnly cookie, and says what to do without one', async () => {
    const first = await fetch(`${origin}/?token=${TOKEN}`)
    const cookie = first.headers.get('set-cookie')!
    expect(cookie).toMatch(/HttpOnly/)
    expect(cookie).toMatch(/SameSite=Strict/)
    const pair = cookie.split(';')[0]
    // A reload, a bookmark or a new tab: the address has no token, the cookie carries the session.
    const reload = await fetch(`${origin}/`, { headers: { Cookie: pair } })
    expect(reload.status).toBe(200)
    expect(await reload.text()).toContain('<title>studio</title>')
    expect((await post('/api/call/app.info', '{}', { Cookie: pair })).status).toBe(200)
    expect((await openSocket(`${origin.replace('http', 'ws')}/ws`, { Cookie: pair })).opened).toBe(true)
    // Without a session the page says, in one sentence, where the session comes from.
    for (const headers of [{}, { Cookie: `${pair}x` }] as Record<string, string>[]) {
      const bare = await fetch(`${origin}/`, { headers })
      expect(bare.status).toBe(401)
      expect(await bare.text()).toContain('Open the address that <code>age-studio serve</code> printed')
    }
  })

  it('answers only as the addresses it serves, and only to its own origin (DNS rebinding)', async () => {
    const port = new URL(origin).port
    for (const host of ['127.0.0.1', 'localhost', '[::1]'].map((name) => `${name}:${port}`)) {
      expect((await raw('POST', `/api/call/app.info?token=${TOKEN}`, { Host: host }, '{}')).status, host).toBe(200)
    }
    for (const host of ['evil.example', `evil.example:${port}`, '127.0.0.1:1', '127.0.0.1.evil.example', '']) {
      expect((await raw('POST', `/api/call/app.info?token=${TOKEN}`, { Host: host }, '{}')).status, host).toBe(403)
      expect((await raw('GET', `/?token=${TOKEN}`, { Host: host })).status, host).toBe(403)
    }
    // A blind cross-origin POST (fetch no-cors from another site) carries its own Origin.
    expect((await post(`/api/call/app.info?token=${TOKEN}`, '{}', { Origin: 'http://evil.example' })).status).toBe(403)
    expect((await post(`/api/call/app.info?token=${TOKEN}`, '{}', { Origin: 'null' })).status).toBe(403)
    expect((await post(`/api/call/app.info?token=${TOKEN}`, '{}', { Origin: origin })).status).toBe(200)
    const wsUrl = `${origin.replace('http', 'ws')}/ws?token=${TOKEN}`
    expect((await openSocket(wsUrl, { Host: `evil.example:${port}` })).opened).toBe(false)
    expect((await openSocket(wsUrl, { Origin: `http://evil.example:${port}` })).opened).toBe(false)
    const own = await openSocket(wsUrl, { Origin: origin })
    expect(own.opened).toBe(true)
    own.ws.close()
  })

  it('warns when bound where other machines reach it', () => {
    expect(server.warning).toBeNull()
    expect(bindWarning('0.0.0.0')).toMatch(/^Warning: serving on 0\.0\.0\.0, reachable from other machines/)
    expect(bindWarning('192.168.1.20')).toMatch(/SSH tunnel/)
    expect(bindWarning('::1')).toBeNull()
    const guard = new HostGuard('0.0.0.0', 8765)
    const as = (host: string) => guard.refusal({ headers: { host } } as IncomingMessage)
    expect(as('192.168.1.20:8765')).toBeNull()
    expect(as('localhost:8765')).toBeNull()
    expect(as('evil.example:8765')).toMatch(/not an address/)
    expect(isLoopback('127.0.0.1') && isLoopback('::1') && isLoopback('localhost')).toBe(true)
    expect(isLoopback('0.0.0.0') || isLoopback('192.168.1.20')).toBe(false)
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
    ws.on('message', (data) => messages.push(JSON.parse((data as Buffer).toString('utf8'))))
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
