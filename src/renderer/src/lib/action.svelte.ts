/**
 * What every UI action shows while and after it runs: what it is doing, the error it ended with,
 * and whether it was refused because its target exists (so the view can offer to replace it).
 */
export class Action {
  busy = $state('')
  error = $state('')
  taken = $state(false)

  /** Runs `work`, catching its error into `error`; undefined when it failed. */
  async attempt<T>(label: string, work: () => Promise<T>): Promise<T | undefined> {
    this.error = ''
    this.taken = false
    this.busy = label
    try {
      return await work()
    } catch (e) {
      this.error = e instanceof Error ? e.message : String(e)
      this.taken = (e as { code?: string }).code === 'exists'
      return undefined
    } finally {
      this.busy = ''
    }
  }
}
