/** Serves the built renderer; never anything outside its folder. */
import { readFile } from 'node:fs/promises'
import type { ServerResponse } from 'node:http'
import { extname, join, normalize, sep } from 'node:path'

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
}

export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ')

/** The page's path, decoded; null for an escape no browser sends (`%E0%A4%A`). */
function decodedPath(pathname: string): string | null {
  try {
    return decodeURIComponent(pathname)
  } catch {
    return null
  }
}

export const SECURITY_HEADERS = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
}

export async function serveStatic(root: string, pathname: string, response: ServerResponse, headers: Record<string, string> = {}): Promise<void> {
  const decoded = decodedPath(pathname)
  const relative = pathname === '/' ? 'index.html' : (decoded ?? '').replace(/^\/+/, '')
  const file = normalize(join(root, relative))
  if (decoded === null || !file.startsWith(root.endsWith(sep) ? root : root + sep) || relative.includes('\0')) {
    response.writeHead(404).end('Not found')
    return
  }
  try {
    const body = await readFile(file)
    response.writeHead(200, {
      'Content-Type': MIME[extname(file)] ?? 'application/octet-stream',
      ...SECURITY_HEADERS,
      'Cache-Control': extname(file) === '.html' ? 'no-store' : 'max-age=3600',
      ...headers,
    })
    response.end(body)
  } catch {
    response.writeHead(404).end('Not found')
  }
}
