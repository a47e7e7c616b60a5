/** The one client the UI uses: Electron's preload bridge when present, else the web socket. */
import { createClient, type StudioClient } from '../../../shared/contract'
import { createSocketTransport } from './socketTransport'

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

function connect(): StudioClient {
  if (window.studio) return createClient(window.studio)
  return createClient(createSocketTransport(socketUrl()))
}

export const studio = connect()
