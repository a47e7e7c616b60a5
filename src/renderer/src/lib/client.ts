/** The one client the UI uses: Electron's preload bridge when present, else the web socket. */
import { createClient, type StudioClient } from '../../../shared/contract'
import { createSocketTransport } from './socketTransport'

const TOKEN_KEY = 'age-studio-token'

/** Web mode: the token arrives in the URL once; keep it for reloads and drop it from the address bar. */
function webToken(): string {
  const url = new URL(window.location.href)
  const fromUrl = url.searchParams.get('token')
  if (fromUrl) {
    sessionStorage.setItem(TOKEN_KEY, fromUrl)
    url.searchParams.delete('token')
    history.replaceState(null, '', url)
  }
  return fromUrl ?? sessionStorage.getItem(TOKEN_KEY) ?? ''
}

function connect(): StudioClient {
  if (window.studio) return createClient(window.studio)
  const scheme = window.location.protocol === 'https:' ? 'wss' : 'ws'
  const url = `${scheme}://${window.location.host}/ws?token=${encodeURIComponent(webToken())}`
  return createClient(createSocketTransport(url))
}

export const studio = connect()
