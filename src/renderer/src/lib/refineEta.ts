/**
 * Refinement's time left, steady enough to read: the pace is the mean of the last WINDOW steps
 * (previews drawn meanwhile slow some of them down, so one step says little), shown from the
 * fifth step on, and the shown figure counts down from the last one while a new estimate stays
 * within a third of it (or a second), so it does not jump 10 → 14 → 16 s.
 */
const WINDOW = 10
const FIRST_SHOWN = 5

export class RefineEta {
  private last: { at: number; iteration: number } | null = null
  /** Seconds per step of the recent reports, oldest first: [seconds, steps]. */
  private recent: [number, number][] = []
  private shown: { seconds: number; at: number } | null = null

  /** A progress report at `now` (ms); the seconds left to show, or null until the pace is known. */
  update(now: number, iteration: number, total: number): number | null {
    if (this.last === null || iteration < this.last.iteration) this.reset() // a new refinement
    if (this.last === null || iteration === this.last.iteration) {
      this.last ??= { at: now, iteration }
      return this.shown && this.countdown(now)
    }
    this.recent.push([(now - this.last.at) / 1000, iteration - this.last.iteration])
    while (this.recent.reduce((n, [, steps]) => n + steps, 0) > WINDOW && this.recent.length > 1) this.recent.shift()
    this.last = { at: now, iteration }
    const [seconds, steps] = this.recent.reduce(([s, n], [ds, dn]) => [s + ds, n + dn], [0, 0])
    if (iteration < FIRST_SHOWN) return null
    const estimate = (seconds / steps) * (total - iteration)
    const counting = this.shown && this.countdown(now)
    const steady = counting !== null && Math.abs(estimate - counting) < Math.max(counting / 3, 1)
    const shown = steady ? counting : estimate
    this.shown = { seconds: shown, at: now }
    return shown
  }

  reset(): void {
    this.last = this.shown = null
    this.recent = []
  }

  private countdown(now: number): number {
    return Math.max(0, this.shown!.seconds - (now - this.shown!.at) / 1000)
  }
}
