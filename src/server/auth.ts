/**
 * Who may talk to web mode: the per-session token (query, Bearer header or the session cookie),
 * and only through a Host the server is reachable as, from its own Origin (the DNS-rebinding
 * defence Jupyter and Vite use).
 */
import { randomBytes, timingSafeEqual } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import { isIP } from 'node:net'

export function newToken(): string {
  return randomBytes(24).toString('base64url')
}

/** Path and query of a request; null for a request target no URL parser accepts (e.g. `//`). */
export function requestUrl(request: IncomingMessage): URL | null {
  const target = request.url ?? '/'
  if (!target.startsWith('/') || target.startsWith('//')) return null
  try {
    return new URL(target, 'http://localhost')
  } catch {
    return null
  }
}

/** Cookies are shared by every port of a host, so the name carries the port. */
export const cookieName = (port: number) => `age_studio_${port}`

export function sessionCookie(port: number, token: string): string {
  return `${cookieName(port)}=${token}; HttpOnly; SameSite=Strict; Path=/`
}

function cookieToken(request: IncomingMessage, port: number): string | null {
  const name = cookieName(port)
  for (const part of (request.headers.cookie ?? '').split(';')) {
    const [key, ...value] = part.trim().split('=')
    if (key === name) return value.join('=')
  }
  return null
}

/** The token a request carries: `?token=`, `Authorization: Bearer …`, or the session cookie. */
export function requestToken(request: IncomingMessage, url: URL, port: number): string | null {
  const fromQuery = url.searchParams.get('token')
  if (fromQuery) return fromQuery
  const header = request.headers.authorization
  if (header?.startsWith('Bearer ')) return header.slice(7)
  return cookieToken(request, port)
}

export function tokenMatches(expected: string, given: string | null): boolean {
  if (given === null) return false
  const a = Buffer.from(expected)
  const b = Buffer.from(given)
  return a.length === b.length && timingSafeEqual(a, b)
}

const LOOPBACK_NAMES = ['127.0.0.1', 'localhost', '[::1]']
const WILDCARDS = new Set(['0.0.0.0', '::', '[::]'])

export const isLoopback = (host: string) => host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host)

/** How a bound address is written in a Host header: IPv6 in brackets. */
export const hostForUrl = (host: string) => (isIP(host) === 6 ? `[${host}]` : host)

/**
 * The Host/Origin gate. A rebound name (evil.example → 127.0.0.1) reaches the socket with its
 * own name in Host, so only the names the server was started as are accepted. Binding a wildcard
 * address accepts any IP literal, never a name other than the loopback ones.
 */
export class HostGuard {
  private readonly names: Set<string>
  private readonly wildcard: boolean

  constructor(
    bound: string,
    private readonly port: number,
  ) {
    this.wildcard = WILDCARDS.has(bound)
    this.names = new Set([...LOOPBACK_NAMES, hostForUrl(bound).toLowerCase()])
  }

  /** `name:port` or `name` as this server accepts it; null when it is not one of ours. */
  private accepts(hostHeader: string | undefined): boolean {
    if (!hostHeader) return false
    const match = /^(\[[0-9a-f:.]+\]|[^:[\]]+)(?::(\d+))?$/i.exec(hostHeader.trim().toLowerCase())
    if (!match) return false
    const [, name, port] = match
    if (port !== undefined && Number(port) !== this.port) return false
    if (this.names.has(name)) return true
    return this.wildcard && isIP(name.replace(/^\[|\]$/g, '')) !== 0
  }

  /** Why this request is refused, or null when Host (and Origin, if sent) are ours. */
  refusal(request: IncomingMessage): string | null {
    const host = request.headers.host
    if (!this.accepts(host)) return `Host ${JSON.stringify(host ?? '')} is not an address this studio serves.`
    const origin = request.headers.origin
    if (origin === undefined) return null
    let parsed: URL
    try {
      parsed = new URL(origin)
    } catch {
      return 'Origin is not a URL.'
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return `Origin ${origin} is not this studio.`
    if (parsed.host !== host!.trim().toLowerCase()) return `Origin ${origin} is not this studio.`
    return null
  }
}
