/**
 * Is a network folder from elsewhere (a kit's checkpoint, a bundle) one that can age a face with
 * the configuration it comes with? Its manifest is well formed, weights.bin is exactly as long as
 * the manifest says, every weight is finite, its topology builds, and its layers and weight shapes
 * are those of the claimed preset at the claimed image size. Each failure is one sentence naming
 * what disagrees, so "128 px weights under a 64 px spec" reads as that, not as a tfjs layer error.
 */
import * as tf from '@tensorflow/tfjs'
import { z } from 'zod'
import { zeroInitialized } from './checkpoint'
import { NETWORK_BUILDERS, type NetworkName } from './networks'
import type { Preset } from './presets'

export type { NetworkName }

const BUILD = Object.fromEntries(NETWORK_BUILDERS) as Record<NetworkName, (p: Preset) => tf.LayersModel>

const ModelJson = z.object({
  modelTopology: z.record(z.string(), z.unknown()),
  weightsManifest: z
    .array(
      z.object({
        paths: z.tuple([z.literal('weights.bin')]),
        weights: z.array(
          z
            .object({
              name: z.string().max(200),
              shape: z
                .array(
                  z
                    .number()
                    .int()
                    .min(1)
                    .max(1 << 24),
                )
                .max(8),
              dtype: z.literal('float32'),
            })
            .strict(),
        ),
      }),
    )
    .length(1),
})

interface Layout {
  classes: string[]
  shapes: number[][]
  imageSize: number | null
}

/** The layers' classes, weight shapes in order, and the image size the network makes or reads. */
function layoutOf(model: tf.LayersModel, network: NetworkName): Layout {
  const image = network === 'generator' ? model.outputs[0].shape : model.inputs[0].shape
  return {
    classes: model.layers.map((layer) => layer.getClassName()),
    shapes: model.weights.map((w) => w.shape as number[]),
    imageSize: image.length === 4 && image[1] === image[2] && image[3] === 3 ? image[1] : null,
  }
}

/** What the preset's own network looks like; built once per preset, size and network, then kept. */
const expected = new Map<string, Layout>()
function expectedLayout(p: Preset, network: NetworkName): Layout {
  const key = `${p.name}-${p.imageSize}-${network}`
  if (!expected.has(key)) {
    const model = BUILD[network](p)
    expected.set(key, layoutOf(model, network))
    model.dispose()
  }
  return expected.get(key)!
}

const same = (a: number[], b: number[]) => a.length === b.length && a.every((v, i) => v === b[i])

/**
 * Checks one network's model.json and weights.bin bytes against the preset `p`; throws an Error
 * whose message is a sentence about `what` ("the generator of checkpoint gan-00000010").
 */
export async function checkNetwork(modelJson: Buffer, weights: Buffer, network: NetworkName, p: Preset, what: string): Promise<void> {
  let json: z.infer<typeof ModelJson>
  try {
    json = ModelJson.parse(JSON.parse(modelJson.toString('utf8')))
  } catch (error) {
    throw new Error(`${what} has an invalid model.json (${(error as Error).message.split('\n')[0].slice(0, 200)}).`)
  }
  const specs = json.weightsManifest[0].weights
  const floats = specs.reduce((n, spec) => n + spec.shape.reduce((a, b) => a * b, 1), 0)
  if (weights.byteLength !== floats * 4) {
    throw new Error(`${what}: weights.bin is ${weights.byteLength} bytes where its manifest needs ${floats * 4} (truncated, or another network's).`)
  }
  const aligned = weights.byteOffset % 4 === 0
  const data = aligned
    ? new Float32Array(weights.buffer, weights.byteOffset, floats)
    : new Float32Array(weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength))
  let bad = -1
  for (let i = 0; i < data.length && bad < 0; i++) if (data[i] - data[i] !== 0) bad = i // NaN and ±Infinity only
  if (bad >= 0) {
    let offset = 0
    const spec = specs.find((s) => (offset += s.shape.reduce((a, b) => a * b, 1)) > bad)!
    throw new Error(`${what} has ${Number.isNaN(data[bad]) ? 'NaN' : 'infinite'} weights (first in ${spec.name}); it cannot make an image.`)
  }

  let model: tf.LayersModel
  try {
    model = await tf.models.modelFromJSON({ modelTopology: zeroInitialized(json.modelTopology) as never })
  } catch (error) {
    throw new Error(`${what} has a topology that does not build (${(error as Error).message.slice(0, 200)}).`)
  }
  try {
    const found = layoutOf(model, network)
    const want = expectedLayout(p, network)
    const claim = `the ${p.name} preset's ${network} at ${p.imageSize} px`
    if (found.imageSize !== want.imageSize) {
      throw new Error(
        `${what} is for ${found.imageSize ?? 'an unknown'} px images, but its configuration says ${p.imageSize} px: the weights and the configuration come from different runs.`,
      )
    }
    if (found.classes.join() !== want.classes.join() || found.shapes.length !== want.shapes.length) {
      throw new Error(`${what} is not ${claim} (other layers: ${found.classes.length} where it has ${want.classes.length}).`)
    }
    const i = found.shapes.findIndex((shape, k) => !same(shape, want.shapes[k]))
    if (i >= 0) throw new Error(`${what} is not ${claim}: weight ${i + 1} is [${found.shapes[i].join(', ')}] where it is [${want.shapes[i].join(', ')}].`)
    // tfjs loads weights by their original names: the manifest must name the topology's weights, in its order.
    const names = model.weights.map((w) => (w as tf.LayerVariable & { originalName: string }).originalName)
    const j = specs.findIndex((spec, k) => spec.name !== names[k] || !same(spec.shape, found.shapes[k]))
    if (j >= 0 || specs.length !== names.length) throw new Error(`${what}: its weight manifest does not match its topology (${specs[j]?.name ?? 'the count'}).`)
  } finally {
    model.dispose()
  }
}
