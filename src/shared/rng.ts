/**
 * A small seeded PRNG (sfc32). Everything that must be reproducible from a seed (demo faces,
 * splits, later data order) draws from this, never from Math.random. Its state is four uint32s,
 * so it can be saved in a checkpoint and restored exactly.
 */
export class Rng {
  private s: Uint32Array

  constructor(seed: number | Uint32Array) {
    if (typeof seed !== 'number') {
      this.s = Uint32Array.from(seed)
      return
    }
    // Spread the seed over the state with splitmix32, then discard the first draws.
    this.s = new Uint32Array(4)
    let x = seed >>> 0
    for (let i = 0; i < 4; i++) {
      x = (x + 0x9e3779b9) >>> 0
      let z = x
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0
      this.s[i] = (z ^ (z >>> 16)) >>> 0
    }
    for (let i = 0; i < 12; i++) this.nextUint32()
  }

  nextUint32(): number {
    const s = this.s
    const t = (((s[0] + s[1]) >>> 0) + s[3]) >>> 0
    s[3] = (s[3] + 1) >>> 0
    s[0] = s[1] ^ (s[1] >>> 9)
    s[1] = (s[2] + (s[2] << 3)) >>> 0
    s[2] = ((s[2] << 21) | (s[2] >>> 11)) >>> 0
    s[2] = (s[2] + t) >>> 0
    return t
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.nextUint32() / 4294967296
  }

  range(low: number, high: number): number {
    return low + (high - low) * this.next()
  }

  /** Integer in [low, high], both inclusive. */
  int(low: number, high: number): number {
    return low + Math.floor(this.next() * (high - low + 1))
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]
  }

  /** A copy of the state, for checkpoints. */
  state(): number[] {
    return Array.from(this.s)
  }
}
