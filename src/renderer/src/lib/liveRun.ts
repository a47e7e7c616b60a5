/** What the newest run.progress said about a run: fresher than the runs list between refreshes. */
export interface LiveRun {
  phase: string
  step: number
  losses: Record<string, number>
}
