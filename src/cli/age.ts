/** `age-studio age`: age one face with a trained run, or the shipped model when no run is named. */
import { resolve } from 'node:path'
import { ageImage } from '../engine/aging/ageImage'
import { REFINEMENT } from '../shared/aging'
import type { OptimizeMode } from '../engine/aging/latentOptimizer'
import { intOption, parse, UsageError } from './args'
import { shippedOrRefuse } from './shippedModel'
import type { CommandContext, CommandOutput } from './commands'

const MODES = ['none', 'pixel', 'identity'] as const

export async function age({ studio, args, log }: CommandContext): Promise<CommandOutput> {
  const { values, positionals } = parse(
    args,
    {
      run: { type: 'string' },
      checkpoint: { type: 'string' },
      to: { type: 'string', multiple: true },
      all: { type: 'boolean' },
      optimize: { type: 'string' },
      iterations: { type: 'string' },
      out: { type: 'string' },
      from: { type: 'string' },
      force: { type: 'boolean' },
    },
    true,
  )
  if (positionals.length !== 1) throw new UsageError('Give exactly one photo: age-studio age PHOTO --run RUN_ID --all --out DIR.')
  if (!values.out) throw new UsageError('--out DIR is required.')
  if (values.all && values.to) throw new UsageError('Give --to or --all, not both.')
  const bin = (name: string, value: string) => {
    const parsed = intOption(name, value)!
    if (parsed < 0 || parsed > 5) throw new UsageError(`--${name} must be an age bin 0–5, got ${parsed}.`)
    return parsed
  }
  const targets = values.all ? [0, 1, 2, 3, 4, 5] : (values.to ?? []).flatMap((v) => v.split(',')).map((v) => bin('to', v))
  if (targets.length === 0) throw new UsageError('Give the target bins with --to 0-5 (repeatable) or --all.')
  const mode = (values.optimize ?? 'identity') as OptimizeMode
  if (!MODES.includes(mode)) throw new UsageError(`--optimize must be one of ${MODES.join(', ')}, got ${JSON.stringify(mode)}.`)
  const iterations = intOption('iterations', values.iterations) ?? REFINEMENT.iterations
  if (iterations < 0 || iterations > 10_000) throw new UsageError(`--iterations must be 0–10000, got ${iterations}.`)

  const model = values.run
    ? { runId: values.run, checkpointId: intOption('checkpoint', values.checkpoint) }
    : await shippedOrRefuse(studio, log, '--run RUN_ID')

  // Ctrl-C ends the refinement early; the outputs are still written, from z as it is then.
  const controller = new AbortController()
  const stop = () => {
    log('stopping the refinement; writing the outputs from the current z')
    controller.abort()
  }
  process.once('SIGINT', stop)
  try {
    const outcome = await ageImage(studio.home, studio.catalog, {
      signal: controller.signal,
      ...model,
      input: resolve(positionals[0]),
      targets: [...new Set(targets)],
      optimize: mode,
      iterations,
      outDir: resolve(values.out),
      sourceBin: values.from === undefined ? undefined : bin('from', values.from),
      force: values.force,
      onProgress: (i, loss) => (i % 10 === 0 || i === iterations) && log(`${mode} optimisation ${i}/${iterations}: loss ${loss.toFixed(4)}`),
    })
    const lines = outcome.outputs.map(
      (o) => `${o.label}\t${o.file}\tidentity distance ${o.identityDistance.toFixed(3)}\tindependent similarity ${o.independentSimilarity.toFixed(3)}`,
    )
    return { json: outcome, text: [...lines, `provenance: ${outcome.provenanceFile}`].join('\n') }
  } finally {
    process.off('SIGINT', stop)
  }
}
