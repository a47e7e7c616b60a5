/**
 * Framing: which square of the 256 px aligned master a model sees. The master is wide (eyes at
 * 37% / 63% across, 46% down: room to blend an aged face back into its photo), but tight face
 * crops such as UTKFace's chips cover only about half of it: measured on 1,175 UTKFace faces,
 * 53% of the master (median) lay outside the photo and was synthetic fill. The `face` window
 * (eyes 42% of its side apart, 30% down) lies inside such crops: median 0%, 3% of faces over 5%.
 * Runs made before framings existed saw the whole master: `full`.
 */

export const FRAMING_NAMES = ['full', 'face'] as const
export type FramingName = (typeof FRAMING_NAMES)[number]

/** The window as fractions of the master's side: left, top, side. */
export interface FramingWindow {
  x: number
  y: number
  side: number
}

export const FRAMINGS: Record<FramingName, FramingWindow> = {
  full: { x: 0, y: 0, side: 1 },
  face: { x: 0.19, y: 0.274, side: 0.62 },
}

/** New runs: the face window. */
export const DEFAULT_FRAMING: FramingName = 'face'
/** A face-framed run leaves out faces with more of the window than this outside their photo. */
export const DEFAULT_MAX_FILL = 0.05

/** A stored run configuration's framing (runs older than framings saw the whole master). */
export const framingOf = (config: { framing?: FramingName }): FramingName => config.framing ?? 'full'

/** The most fill a run trains on: its own setting, else 5% for the face window and anything for full. */
export const maxFillOf = (config: { framing?: FramingName; maxFill?: number }): number =>
  config.maxFill ?? (framingOf(config) === 'face' ? DEFAULT_MAX_FILL : 1)

/** The window in master pixels, rounded so every caller cuts the same pixels. */
export function windowPixels(framing: FramingName, masterSize: number): { left: number; top: number; side: number } {
  const w = FRAMINGS[framing]
  return { left: Math.round(w.x * masterSize), top: Math.round(w.y * masterSize), side: Math.round(w.side * masterSize) }
}

/** The same window as an image region (what sharp's extract takes). */
export function windowRegion(framing: FramingName, masterSize: number): { left: number; top: number; width: number; height: number } {
  const { left, top, side } = windowPixels(framing, masterSize)
  return { left, top, width: side, height: side }
}

/**
 * The share of the window whose photo pixels lie outside the photo (the warp had to invent them),
 * from the crop → photo transform alone: a 32×32 grid of sample points.
 */
export function windowFill(transform: readonly number[], photoWidth: number, photoHeight: number, framing: FramingName, masterSize = 256): number {
  const [a, b, c, d, e, f] = transform
  const { x, y, side } = FRAMINGS[framing]
  const n = 32
  let outside = 0
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const u = (x + (side * (i + 0.5)) / n) * masterSize
      const v = (y + (side * (j + 0.5)) / n) * masterSize
      const px = a * u + b * v + c
      const py = d * u + e * v + f
      if (px < 0 || py < 0 || px > photoWidth || py > photoHeight) outside++
    }
  }
  return outside / (n * n)
}
