/**
 * Web mode: the same contract over HTTP + WebSocket. Binds 127.0.0.1 unless told otherwise,
 * refuses any API request or socket without the session token or from a foreign Host/Origin,
 * and no request, header, body or frame of any shape can end the process: a failure closes
 * that one connection.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import type { Duplex } from 'node:stream'
import { WebSocketServer, type WebSocket } from 'ws'
import type { Handlers } from '../shared/contract'
import type { CallFrame, ServerFrame } from '../shared/socket'
import { dispatch } from '../engine/api/dispatch'
import type { EventHub } from '../engine/events'
import type { Download } from '../engine/downloads'
import { errorCode } from '../engine/errors'
import { sendDownload } from './download'
import { HostGuard, hostForUrl, isLoopback, requestToken, requestUrl, sessionCookie, tokenMatches } from './auth'
import { noSessionPage } from './noSession'
import { serveStatic } from './static'

export interface WebServerOptions {
  handlers: Handlers
  events: EventHub
  /** The built renderer (out/renderer). */
  staticDir: string
  token: string
  host?: string
  port?: number
  /** Resolves /download/… addresses; throws a StudioError (not_found) for anything else. */
  downloads?: (pathname: string) => Download
}

export interface WebServer {
  url: string
  /** Set when the server listens on an address other machines can reach. */
  warning: string | null
  close(): Promise<void>
}

const MAX_BODY = 1024 * 1024
const STATUS = { bad_input: 400, unknown_call: 404, not_found: 404, cancelled: 409, exists: 409, busy: 409, internal: 500 } as const

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  if (response.headersSent) return void response.end()
  response.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' })
  response.end(JSON.stringify(body))
}

const failure = (code: string, message: string) => ({ ok: false, error: { code, message } })

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

/** Ends a raw socket with a status line; never throws, whatever state the socket is in. */
function refuseSocket(socket: Duplex, status: string): void {
  try {
    if (socket.writable) socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`)
    else socket.destroy()
  } catch {
    socket.destroy()
  }
}

/** A socket message's text: ws hands a Buffer, or fragments, or an ArrayBuffer by its binaryType. */
function textOf(data: Buffer | ArrayBuffer | Buffer[]): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8')
  return (Buffer.isBuffer(data) ? data : Buffer.from(data)).toString('utf8')
}

export async function startWebServer(options: WebServerOptions): Promise<WebServer> {
  const { handlers, events, staticDir, token } = options
  const host = options.host ?? '127.0.0.1'
  // eslint-disable-next-line prefer-const -- set once the port is known (below); the handlers read it
  let guard: HostGuard | undefined
  let port = 0

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = requestUrl(request)
    if (!url) return sendJson(response, 400, failure('bad_input', 'Malformed request target.'))
    const refusal = guard!.refusal(request)
    if (refusal) return sendJson(response, 403, failure('forbidden', refusal))
    const authorised = tokenMatches(token, requestToken(request, url, port))
    if (url.pathname.startsWith('/download/')) {
      if (!authorised) return sendJson(response, 401, failure('unauthorized', 'Missing or wrong session token.'))
      if (request.method !== 'GET' || !options.downloads) return sendJson(response, 404, failure('not_found', 'Not found'))
      try {
        return sendDownload(options.downloads(url.pathname), response)
      } catch (error) {
        const code = errorCode(error)
        if (code !== 'internal') return sendJson(response, STATUS[code], failure(code, (error as Error).message))
        throw error
      }
    }
    if (!url.pathname.startsWith('/api/')) {
      if (request.method !== 'GET' && request.method !== 'HEAD') return sendJson(response, 405, { error: 'Method not allowed' })
      if (url.pathname !== '/' && url.pathname !== '/index.html') return serveStatic(staticDir, url.pathname, response)
      // The page itself only with a session: the first visit's ?token= leaves a cookie for reloads.
      if (!authorised) return noSessionPage(response)
      return serveStatic(staticDir, url.pathname, response, { 'Set-Cookie': sessionCookie(port, token) })
    }
    if (!authorised) return sendJson(response, 401, failure('unauthorized', 'Missing or wrong session token.'))
    const call = /^\/api\/call\/([\w.]+)$/.exec(url.pathname)
    if (!call || request.method !== 'POST') return sendJson(response, 404, { error: 'Not found' })
    try {
      const reply = await dispatch(handlers, call[1], await readJson(request))
      sendJson(response, reply.ok ? 200 : STATUS[reply.error.code], reply)
    } catch (error) {
      const status = (error as { status?: number }).status ?? 500
      // The rest of an oversized or broken body is never read: close the connection rather than reuse it.
      if (!response.headersSent) response.setHeader('Connection', 'close')
      sendJson(response, status, failure(status === 500 ? 'internal' : 'bad_input', (error as Error).message))
    }
  }

  const server = createServer((request, response) => {
    request.on('error', () => request.destroy())
    response.on('error', () => response.destroy())
    handle(request, response).catch((error: unknown) => {
      console.error('[age-studio] web request failed:', error)
      sendJson(response, 500, failure('internal', 'The request failed.'))
    })
  })
  // Malformed request lines and headers: answer 400 on that connection and close it.
  server.on('clientError', (_error, socket: Socket) => refuseSocket(socket, '400 Bad Request'))
  server.on('connection', (socket: Socket) => socket.on('error', () => socket.destroy()))

  const sockets = new WebSocketServer({ noServer: true, maxPayload: MAX_BODY })
  server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy())
    try {
      const url = requestUrl(request)
      if (!url || url.pathname !== '/ws') return refuseSocket(socket, '404 Not Found')
      if (guard!.refusal(request)) return refuseSocket(socket, '403 Forbidden')
      if (!tokenMatches(token, requestToken(request, url, port))) return refuseSocket(socket, '401 Unauthorized')
      sockets.handleUpgrade(request, socket, head, (ws) => bindSocket(ws, handlers, events))
    } catch (error) {
      console.error('[age-studio] socket upgrade failed:', error)
      refuseSocket(socket, '400 Bad Request')
    }
  })

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, host, () => resolve())
  })
  server.on('error', (error) => console.error('[age-studio] web server error:', error))
  port = (server.address() as AddressInfo).port
  guard = new HostGuard(host, port)
  return {
    url: `http://${hostForUrl(host)}:${port}/?token=${token}`,
    warning: bindWarning(host),
    close: async () => {
      for (const client of sockets.clients) client.terminate()
      sockets.close()
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}

/** What `serve` prints when bound where other machines reach it; null on loopback. */
export function bindWarning(host: string): string | null {
  if (isLoopback(host)) return null
  return `Warning: serving on ${host}, reachable from other machines: anyone with the token can read and write files as you. Prefer 127.0.0.1 and an SSH tunnel.`
}

/** A frame as received: it claims to be a CallFrame, and is checked before it is trusted. */
type Received = { [K in keyof CallFrame]?: unknown }

/** One browser tab: calls in, replies and every engine event out. A bad frame closes only this socket. */
function bindSocket(ws: WebSocket, handlers: Handlers, events: EventHub): void {
  const send = (frame: ServerFrame) => {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(frame), (error) => error && ws.terminate())
  }
  // The hub's listener pairs each event with its own payload, as ServerFrame's event member does.
  const unsubscribe = events.subscribe((event, payload) => send({ type: 'event', event, payload } as ServerFrame))
  ws.on('close', unsubscribe)
  // Over-long frames, invalid UTF-8 and protocol errors arrive here after ws has begun closing
  // the socket with the right code (1009, 1007, 1002); the listener only keeps them from being
  // uncaught, which would end the process.
  ws.on('error', () => undefined)
  ws.on('message', (data, isBinary) => {
    let message: Received
    try {
      if (isBinary) throw new Error('binary')
      message = JSON.parse(textOf(data)) as Received
    } catch {
      return send({ type: 'error', message: 'Message is not valid JSON text.' })
    }
    if (message?.type !== 'call' || typeof message.id !== 'number') {
      return send({ type: 'error', message: 'Expected {type:"call", id:number, name, input}.' })
    }
    const id = message.id
    dispatch(handlers, message.name, message.input).then(
      (reply) => send({ type: 'reply', id, reply }),
      (error: unknown) => send({ type: 'reply', id, reply: { ok: false, error: { code: 'internal', message: (error as Error).message } } }),
    )
  })
}
