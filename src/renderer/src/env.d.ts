/// <reference types="svelte" />
/// <reference types="vite/client" />
import type { StudioTransport } from '$shared/contract'

declare global {
  interface Window {
    /** Present under Electron (exposed by the preload); absent in web mode. */
    studio?: StudioTransport
  }
}
