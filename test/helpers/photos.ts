/** face-api's demo photos: real group photos (1920 px wide) installed with the package. */
import { join } from 'node:path'

const DEMO = join(__dirname, '..', '..', 'node_modules', '@vladmandic', 'face-api', 'demo')

export const DEMO_PHOTOS = [1, 2, 3, 4, 5, 6].map((n) => join(DEMO, `sample${n}.jpg`))
