/** What a browser sees at the studio's address without a session: one sentence, not an empty studio. */
import type { ServerResponse } from 'node:http'
import { SECURITY_HEADERS } from './static'

const PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Age Studio: no session</title>
<style>body{font:16px system-ui,sans-serif;background:#14161a;color:#e6e6e6;display:grid;place-items:center;height:100vh;margin:0}
main{max-width:36em;padding:2em}code{background:#262a31;padding:.1em .3em;border-radius:3px;white-space:nowrap}</style></head>
<body><main data-testid="no-session"><h1>Age Studio</h1>
<p>Open the address that <code>age-studio serve</code> printed (it ends in <code>?token=…</code>) to start a session.</p>
<p>This browser has no session with this studio: the address had no token or a wrong one, or the studio was restarted with a new token.</p>
</main></body></html>`

export function noSessionPage(response: ServerResponse): void {
  response.writeHead(401, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store', ...SECURITY_HEADERS })
  response.end(PAGE)
}
