/** The per-session token that guards every web-mode API request and WebSocket. */
import { randomBytes, timingSafeEqual } from 'node:crypto'
import type { IncomingMessage } from 'node:http'

export function newToken(): string {
  return randomBytes(24).toString('base64url')
}

/** The token a request carries: `?token=` or `Authorization: Bearer …`. */
export function requestToken(request: IncomingMessage): string | null {
  const url = new URL(request.url ?? '/', 'http://localhost')
  const fromQuery = url.searchParams.get('token')
  if (fromQuery) return fromQuery
  const header = request.headers.authorization
  return header?.startsWith('Bearer ') ? header.slice(7) : null
}

export function tokenMatches(expected: string, given: string | null): boolean {
  if (given === null) return false
  const a = Buffer.from(expected)
  const b = Buffer.from(given)
  return a.length === b.length && timingSafeEqual(a, b)
}

/** A browser's WebSocket must come from the page we served, not from another site. */
export function sameOrigin(request: IncomingMessage): boolean {
  const origin = request.headers.origin
  if (!origin) return true
  try {
    return new URL(origin).host === request.headers.host
  } catch {
    return false
  }
}
