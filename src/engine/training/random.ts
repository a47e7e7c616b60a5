/**
 * tfjs draws its unseeded randomness (weight initialisers, dropout masks, random normals) from
 * Math.random. While a run trains, Math.random is the run's own seeded generator, whose state is
 * saved in every checkpoint: that is what makes a run reproducible and a resume exact.
 */
import { Rng } from '../../shared/rng'

export function seedMathRandom(rng: Rng): () => void {
  const original = Math.random
  Math.random = () => rng.next()
  return () => {
    Math.random = original
  }
}
