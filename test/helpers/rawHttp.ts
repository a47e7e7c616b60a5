/** Raw TCP and WebSocket frames for hostile-client tests: what no well-behaved client would send. */
import { randomBytes } from 'node:crypto'
import { connect, type Socket } from 'node:net'

/** Sends bytes on a fresh connection; resolves with what came back once the server closes or `waitMs` passes. */
export function sendRaw(port: number, bytes: string | Buffer, waitMs = 400): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1')
    let answer = ''
    const done = () => {
      socket.destroy()
      resolve(answer)
    }
    socket.on('data', (chunk) => (answer += chunk.toString('latin1')))
    socket.on('error', done)
    socket.on('close', done)
    socket.write(bytes, () => undefined)
    setTimeout(done, waitMs)
  })
}

/** A completed WebSocket handshake on a raw socket, ready for hand-made frames. */
export function rawSocket(port: number, path: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1')
    socket.on('error', reject)
    let head = ''
    const onData = (chunk: Buffer) => {
      head += chunk.toString('latin1')
      if (!head.includes('\r\n\r\n')) return
      socket.off('data', onData)
      if (head.startsWith('HTTP/1.1 101')) resolve(socket)
      else reject(new Error(`handshake refused: ${head.split('\r\n')[0]}`))
    }
    socket.on('data', onData)
    socket.write(
      `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
    )
  })
}

export interface FrameOptions {
  fin?: boolean
  masked?: boolean
  /** The length the header claims, whatever the payload is. */
  claimedLength?: number
}

/** One WebSocket frame as a client writes it (masked unless told otherwise). */
export function frame(opcode: number, payload: Buffer, { fin = true, masked = true, claimedLength = payload.length }: FrameOptions = {}): Buffer {
  const parts: Buffer[] = [Buffer.from([(fin ? 0x80 : 0) | opcode])]
  const maskBit = masked ? 0x80 : 0
  if (claimedLength < 126) parts.push(Buffer.from([maskBit | claimedLength]))
  else if (claimedLength < 65536) parts.push(Buffer.from([maskBit | 126, claimedLength >> 8, claimedLength & 255]))
  else {
    const length = Buffer.alloc(9)
    length[0] = maskBit | 127
    length.writeBigUInt64BE(BigInt(claimedLength), 1)
    parts.push(length)
  }
  if (!masked) return Buffer.concat([...parts, payload])
  const mask = randomBytes(4)
  return Buffer.concat([...parts, mask, Buffer.from(payload.map((byte, i) => byte ^ mask[i % 4]))])
}

/** Writes frames on a handshaken socket, then waits for the server to close it or `waitMs`. */
export function sendFrames(socket: Socket, frames: Buffer[], waitMs = 400): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      socket.destroy()
      resolve()
    }
    socket.on('close', done)
    socket.on('error', done)
    for (const bytes of frames) socket.write(bytes, () => undefined)
    setTimeout(done, waitMs)
  })
}

/** A small seeded generator, so a failing fuzz case can be replayed. */
export function seededBytes(seed: number, length: number): Buffer {
  let state = seed >>> 0 || 1
  return Buffer.from(
    Array.from({ length }, () => {
      state ^= state << 13
      state ^= state >>> 17
      state ^= state << 5
      return (state >>> 0) & 255
    }),
  )
}
