// The real `age-studio serve` process under hostile and careless clients: malformed request
// lines, URLs, headers, bodies, upgrades and WebSocket frames must close only their own
// connection while a training run in the same process keeps stepping. Then the lifecycle: ten
// runs leave no threads or memory behind, and one SIGTERM ends the process, marking a live run
// interrupted. Every request goes to 127.0.0.1; every loop is bounded.
import { readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import { Catalog } from '../../src/engine/catalog/catalog'
import { frame, rawSocket, seededBytes, sendFrames, sendRaw } from '../helpers/rawHttp'
import { serveStudio, type Served } from '../helpers/serve'

async function api<T>(served: Served, name: string, input: unknown = {}): Promise<T> {
  const response = await fetch(`${served.origin}/api/call/${name}`, {
    method: 'POST',
    body: JSON.stringify(input),
    headers: { Authorization: `Bearer ${served.token}`, 'Content-Type': 'application/json' },
  })
  const reply = (await response.json()) as { ok: boolean; result?: T; error?: { message: string } }
  if (!reply.ok) throw new Error(`${name}: ${reply.error!.message}`)
  return reply.result!
}

type RunDetail = { run: { status: string; lastStep: number }; training: boolean }
const TRAIN_LONG = { preset: 'tiny', phase: 'gan', steps: 100_000, batch: 4, checkpointEvery: 5, sampleEvery: 1000 }

/** Threads and resident memory of a process, from /proc. */
function processStats(pid: number): { threads: number; rssMb: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)`, 'm').exec(status)![1])
  return { threads: field('Threads'), rssMb: field('VmRSS') / 1024 }
}

const exited = (served: Served) => new Promise<number | null>((resolve) => served.process.once('exit', (code) => resolve(code)))

describe('web mode under a hostile client', () => {
  let served: Served
  let port: number
  let runId: string
  const stepOf = async () => (await api<RunDetail>(served, 'runs.get', { runId })).run.lastStep

  beforeAll(async () => {
    served = await serveStudio()
    port = Number(new URL(served.origin).port)
    await api(served, 'library.createDemo', { count: 60, seed: 1 })
    ;({ runId } = await api<{ runId: string }>(served, 'runs.start', TRAIN_LONG))
    // expect.poll belongs to tests; a setup waits by hand, bounded.
    for (let waited = 0; (await stepOf()) <= 2; waited += 250) {
      if (waited > 120_000) throw new Error('the run never started stepping')
      await new Promise((resolve) => setTimeout(resolve, 250))
    }
  }, 180_000)
  afterAll(() => served.stop())

  /** The process is alive, answers a call, and the run is still stepping. */
  async function stillServing(): Promise<void> {
    expect(served.process.exitCode).toBeNull()
    expect((await api<{ mode: string }>(served, 'app.info')).mode).toBe('web')
    const before = await stepOf()
    await expect.poll(stepOf, { timeout: 60_000, interval: 250 }).toBeGreaterThan(before)
  }

  it('survives malformed request lines, URLs, headers and bodies', async () => {
    const host = `Host: 127.0.0.1:${port}`
    const auth = `Authorization: Bearer ${served.token}`
    const upgrade = 'Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13'
    const cases: (string | Buffer)[] = [
      `GET /%E0%A4%A HTTP/1.1\r\n${host}\r\n\r\n`,
      `GET // HTTP/1.1\r\n${host}\r\n\r\n`,
      `GET //evil.example/ws HTTP/1.1\r\n${host}\r\n\r\n`,
      `GET // HTTP/1.1\r\n${host}\r\n${upgrade}\r\n\r\n`,
      `GET /ws?token=%E0%A4%A HTTP/1.1\r\n${host}\r\n${upgrade}\r\n\r\n`,
      `GET /ws?token=${served.token} HTTP/1.1\r\n${host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n`,
      `GET /ws HTTP/1.1\r\nHost: evil.example\r\n${upgrade}\r\n\r\n`,
      `GET /%00 HTTP/1.1\r\n${host}\r\n\r\n`,
      `GET /api/call/%ff HTTP/1.1\r\n${host}\r\n${auth}\r\n\r\n`,
      `GET / HTTP/9.9\r\n\r\n`,
      `\x00\x01\x02 nonsense\r\n\r\n`,
      `GET / HTTP/1.1\r\n${host}\r\nBad Header Line\r\n\r\n`,
      `GET /?token=${served.token} HTTP/1.1\r\n${host}\r\nX-Long: ${'a'.repeat(100_000)}\r\n\r\n`,
      `POST /api/call/app.info HTTP/1.1\r\n${host}\r\n${auth}\r\nContent-Length: 100\r\n\r\n{"a"`,
      `POST /api/call/app.info HTTP/1.1\r\n${host}\r\n${auth}\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nnope\r\n0\r\n\r\n`,
      `POST /api/call/app.info HTTP/1.1\r\n${host}\r\n${auth}\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello`,
      `POST /api/call/library.list HTTP/1.1\r\n${host}\r\n${auth}\r\nContent-Length: 2\r\n\r\n[]`,
      `POST /api/call/library.list HTTP/1.1\r\n${host}\r\n${auth}\r\nContent-Length: 9\r\n\r\n{"__proto__":1}`,
      `OPTIONS * HTTP/1.1\r\n${host}\r\n\r\n`,
      `CONNECT 127.0.0.1:1 HTTP/1.1\r\n${host}\r\n\r\n`,
      ...Array.from({ length: 15 }, (_, i) => seededBytes(i + 1, 64 + i * 97)),
      // A valid request with a few of its bytes replaced, at seeded places.
      ...Array.from({ length: 15 }, (_, i) => {
        const bytes = Buffer.from(`POST /api/call/app.info?token=${served.token} HTTP/1.1\r\n${host}\r\nContent-Length: 2\r\n\r\n{}`)
        const noise = seededBytes(100 + i, 6)
        for (let k = 0; k < 3; k++) bytes[noise[k] % bytes.length] = noise[k + 3]
        return bytes
      }),
    ]
    for (let start = 0; start < cases.length; start += 8) await Promise.all(cases.slice(start, start + 8).map((bytes) => sendRaw(port, bytes)))
    // The two that ended the process before: each now gets an answer of its own.
    expect(await sendRaw(port, `GET /%E0%A4%A HTTP/1.1\r\n${host}\r\nConnection: close\r\n\r\n`)).toMatch(/^HTTP\/1\.1 404/)
    expect(await sendRaw(port, `GET // HTTP/1.1\r\n${host}\r\nConnection: close\r\n\r\n`)).toMatch(/^HTTP\/1\.1 400/)
    await stillServing()
  }, 180_000)

  it('survives oversized, invalid, binary, fragmented and cut-off WebSocket frames', async () => {
    const path = `/ws?token=${served.token}`
    const hostile: Buffer[][] = [
      [frame(1, Buffer.from([0xff, 0xfe, 0xfd, 0x80]))], // text that is not UTF-8
      [frame(1, Buffer.alloc(16, 0x61), { claimedLength: 2 * 1024 * 1024 + 1 })], // over the 1 MiB cap
      [frame(2, seededBytes(7, 300))], // binary
      [frame(0, Buffer.from('orphan continuation'))],
      [frame(1, Buffer.from('{"type":'), { fin: false }), frame(1, Buffer.from('"call"}'))], // new message inside a fragmented one
      [frame(1, Buffer.alloc(10, 0x61), { claimedLength: 100 })], // closed mid-frame
      [frame(1, Buffer.from('{"type":"call","id":1,"name":"app.info"}'), { masked: false })], // clients must mask
      [frame(3, Buffer.from('reserved opcode'))],
      [frame(9, Buffer.alloc(200, 1))], // a ping longer than control frames may be
      [frame(8, Buffer.from([0x03, 0xe7, 0xff]))], // close with an invalid code and reason
      [frame(1, Buffer.from('{"type":"call","id":1e308,"name":"__proto__","input":null}'))],
      [frame(1, Buffer.from(`${'['.repeat(200_000)}${']'.repeat(200_000)}`))],
      [frame(1, Buffer.from('{"type":"call","id":2,"name":"library.list","input":{"limit":"all"}}'))],
    ]
    for (const frames of hostile) await sendFrames(await rawSocket(port, path), frames)
    // An oversized message through a real client: the socket closes with 1009, the server stays.
    const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`)
    await new Promise((resolve) => ws.once('open', resolve))
    const closed = new Promise<number>((resolve) => ws.once('close', resolve))
    ws.send('x'.repeat(2 * 1024 * 1024))
    expect(await closed).toBe(1009)
    await stillServing()
  }, 180_000)
})

describe('training threads and shutdown', () => {
  it('ten finished runs leave no thread or memory behind', async () => {
    const served = await serveStudio()
    try {
      await api(served, 'library.createDemo', { count: 60, seed: 2 })
      const runToEnd = async () => {
        const { runId } = await api<{ runId: string }>(served, 'runs.start', {
          preset: 'tiny',
          phase: 'all',
          steps: 2,
          encoderSteps: 2,
          batch: 4,
          checkpointEvery: 2,
          sampleEvery: 2,
        })
        await expect
          .poll(
            async () => {
              const detail = await api<RunDetail>(served, 'runs.get', { runId })
              return detail.run.status === 'done' && !detail.training
            },
            { timeout: 120_000, interval: 200 },
          )
          .toBe(true)
      }
      await runToEnd() // warms up what stays for good: libuv's pool, the shared libraries
      await new Promise((resolve) => setTimeout(resolve, 500))
      const baseline = processStats(served.process.pid!)
      for (let i = 0; i < 10; i++) await runToEnd()
      await new Promise((resolve) => setTimeout(resolve, 500))
      const after = processStats(served.process.pid!)
      console.log(`ten runs: threads ${baseline.threads} → ${after.threads}, RSS ${baseline.rssMb.toFixed(0)} → ${after.rssMb.toFixed(0)} MB`)
      // Before the fix every run kept its thread (about 1 OS thread and ~115 MB each: 15 → 25 threads,
      // 293 → 1458 MB over these ten). Now the threads return exactly; glibc keeps some freed heap:
      // +90 to +125 MB measured alone, +253 MB on a machine busy with other tests. Memory is allowed
      // 400 MB of slack, still far below one leaked run's worth per run (over 1,100 MB here).
      expect(after.threads, JSON.stringify({ baseline, after })).toBeLessThanOrEqual(baseline.threads)
      expect(after.rssMb - baseline.rssMb, JSON.stringify({ baseline, after })).toBeLessThan(400)
      // And with no run left, one SIGTERM ends the process.
      const exit = exited(served)
      served.process.kill('SIGTERM')
      expect(await exit).toBe(0)
    } finally {
      await served.stop()
    }
  }, 600_000)

  it('one SIGTERM ends a training studio and leaves its run interrupted, ready to resume', async () => {
    const served = await serveStudio()
    try {
      await api(served, 'library.createDemo', { count: 60, seed: 3 })
      const { runId } = await api<{ runId: string }>(served, 'runs.start', TRAIN_LONG)
      await expect.poll(async () => (await api<RunDetail>(served, 'runs.get', { runId })).run.lastStep, { timeout: 120_000, interval: 250 }).toBeGreaterThan(5)
      const exit = exited(served)
      served.process.kill('SIGTERM')
      expect(await exit).toBe(0)
      const catalog = Catalog.open(served.home)
      try {
        const run = catalog.runs.get(runId)!
        expect(run.status).toBe('interrupted')
        expect(catalog.runs.latestCheckpoint(runId)).toBeDefined()
      } finally {
        catalog.close()
      }
    } finally {
      await served.stop()
    }
  }, 300_000)
})
