/** The one client the UI uses: Electron's preload bridge when present, else the web socket. */
import { createClient, type StudioClient } from '$shared/contract'
import { createSocketTransport, type ConnectionState } from './socketTransport'

/**
 * Web mode: the server turned the address's ?token= into an HttpOnly session cookie when it
 * served this page, so the socket needs no token; it is dropped from the address bar so it does
 * not end up in screenshots or shared links.
 */
function socketUrl(): string {
  const url = new URL(window.location.href)
  if (url.searchParams.has('token')) {
    url.searchParams.delete('token')
    history.replaceState(null, '', url)
  }
  const scheme = window.location.protocol === 'https:' ? 'wss' : 'ws'
  return `${scheme}://${window.location.host}/ws`
}

function connect(): { client: StudioClient; onConnection: (listener: (state: ConnectionState) => void) => () => void } {
  // The desktop app's IPC cannot drop: it is always open.
  if (window.studio) return { client: createClient(window.studio), onConnection: (listener) => (listener('open'), () => undefined) }
  const transport = createSocketTransport(socketUrl())
  return { client: createClient(transport), onConnection: (listener) => transport.onState(listener) }
}

const connection = connect()
export const studio = connection.client
/** Whether the studio can be reached now (web mode's socket reconnects after a drop). */
export const onConnection = connection.onConnection

/** Web mode reaches results by download links; the desktop app has them on its own disk. */
export const webMode = !window.studio
