/**
 * Web mode: the same contract over HTTP + WebSocket. Binds 127.0.0.1 unless told otherwise,
 * and refuses any API request or socket without the session token.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { WebSocketServer, type WebSocket } from 'ws'
import type { Handlers } from '../shared/contract'
import { dispatch } from '../engine/api/dispatch'
import type { EventHub } from '../engine/events'
import { requestToken, sameOrigin, tokenMatches } from './auth'
import { serveStatic } from './static'

export interface WebServerOptions {
  handlers: Handlers
  events: EventHub
  /** The built renderer (out/renderer). */
  staticDir: string
  token: string
  host?: string
  port?: number
}

export interface WebServer {
  url: string
  close(): Promise<void>
}

const MAX_BODY = 1024 * 1024
const STATUS = { bad_input: 400, unknown_call: 404, not_found: 404, cancelled: 409, internal: 500 } as const

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' })
  response.end(JSON.stringify(body))
}

async function readJson(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of request) {
    size += (chunk as Buffer).length
    if (size > MAX_BODY) throw Object.assign(new Error('Request body over 1 MiB.'), { status: 413 })
    chunks.push(chunk as Buffer)
  }
  if (size === 0) return undefined
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'))
  } catch {
    throw Object.assign(new Error('Request body is not valid JSON.'), { status: 400 })
  }
}

export async function startWebServer(options: WebServerOptions): Promise<WebServer> {
  const { handlers, events, staticDir, token } = options
  const host = options.host ?? '127.0.0.1'

  const server = createServer(async (request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost')
    if (!url.pathname.startsWith('/api/')) {
      if (request.method !== 'GET' && request.method !== 'HEAD') return sendJson(response, 405, { error: 'Method not allowed' })
      return serveStatic(staticDir, url.pathname, response)
    }
    if (!tokenMatches(token, requestToken(request))) {
      return sendJson(response, 401, { ok: false, error: { code: 'unauthorized', message: 'Missing or wrong session token.' } })
    }
    const call = /^\/api\/call\/([\w.]+)$/.exec(url.pathname)
    if (!call || request.method !== 'POST') return sendJson(response, 404, { error: 'Not found' })
    try {
      const reply = await dispatch(handlers, call[1], await readJson(request))
      sendJson(response, reply.ok ? 200 : STATUS[reply.error.code], reply)
    } catch (error) {
      const status = (error as { status?: number }).status ?? 500
      // The rest of an oversized body is never read: close the connection rather than reuse it.
      if (status === 413) response.setHeader('Connection', 'close')
      sendJson(response, status, { ok: false, error: { code: 'bad_input', message: (error as Error).message } })
    }
  })

  const sockets = new WebSocketServer({ noServer: true, maxPayload: MAX_BODY })
  server.on('upgrade', (request, socket, head) => {
    const url = new URL(request.url ?? '/', 'http://localhost')
    if (url.pathname !== '/ws' || !tokenMatches(token, requestToken(request)) || !sameOrigin(request)) {
      socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\n\r\n')
      return
    }
    sockets.handleUpgrade(request, socket, head, (ws) => bindSocket(ws, handlers, events))
  })

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, host, () => resolve())
  })
  const { port } = server.address() as AddressInfo
  const shownHost = host.includes(':') ? `[${host}]` : host
  return {
    url: `http://${shownHost}:${port}/?token=${token}`,
    close: async () => {
      for (const client of sockets.clients) client.terminate()
      sockets.close()
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

/** One browser tab: calls in, replies and every engine event out. */
function bindSocket(ws: WebSocket, handlers: Handlers, events: EventHub): void {
  const unsubscribe = events.subscribe((event, payload) => {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ type: 'event', event, payload }))
  })
  ws.on('close', unsubscribe)
  ws.on('message', async (data) => {
    let message: { type?: unknown; id?: unknown; name?: unknown; input?: unknown }
    try {
      message = JSON.parse(data.toString())
    } catch {
      ws.send(JSON.stringify({ type: 'error', message: 'Message is not valid JSON.' }))
      return
    }
    if (message?.type !== 'call' || typeof message.id !== 'number') {
      ws.send(JSON.stringify({ type: 'error', message: 'Expected {type:"call", id:number, name, input}.' }))
      return
    }
    const reply = await dispatch(handlers, message.name, message.input)
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ type: 'reply', id: message.id, reply }))
  })
}
