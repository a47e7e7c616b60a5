import { describe, expect, it } from 'vitest'
import { asAgeError } from '../../src/engine/aging/agePhoto'
import { PhotoError } from '../../src/engine/faces/photoFace'

describe("photo refusals in the user's words", () => {
  it('say each thing once', () => {
    const say = (message: string) => (asAgeError(new PhotoError(message), 'x.jpg') as Error).message
    expect(say('not an image (unknown or corrupt format)')).toBe('x.jpg is not an image Age Studio can read (unknown or corrupt format).')
    expect(say('not an image (no dimensions)')).toBe('x.jpg is not an image Age Studio can read (no dimensions).')
    expect(say('too large: 60000×60000 is 3600 MP; the limit is 100 MP')).toBe(
      'x.jpg is not an image Age Studio can read (too large: 60000×60000 is 3600 MP; the limit is 100 MP).',
    )
    expect(say('no face found')).toBe('No face found in x.jpg.')
  })
})
