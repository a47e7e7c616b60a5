/**
 * face-api's pretrained networks, loaded from the model files installed with the app (never the
 * network). face-api's node-wasm build shares this process's @tensorflow/tfjs, so its networks
 * run on whatever backend the studio chose and gradients flow through them.
 */
import { dirname, join } from 'node:path'
import { createRequire } from 'node:module'

type FaceApi = typeof import('@vladmandic/face-api/dist/face-api.node-wasm.js')

const requireHere = createRequire(__filename)
let faceApi: Promise<FaceApi> | undefined

export function faceModelDir(): string {
  return join(dirname(requireHere.resolve('@vladmandic/face-api/package.json')), 'model')
}

/** Loaded with require, not import(), so it shares this bundle's CommonJS copy of tfjs. */
export function loadFaceApi(): Promise<FaceApi> {
  faceApi ??= Promise.resolve(requireHere('@vladmandic/face-api/dist/face-api.node-wasm.js') as FaceApi)
  return faceApi
}

const loaded = new Map<string, Promise<void>>()

/** Loads one of face-api's networks once per process. */
export async function faceNet<K extends 'faceRecognitionNet' | 'ageGenderNet' | 'ssdMobilenetv1' | 'faceLandmark68Net'>(name: K): Promise<FaceApi['nets'][K]> {
  const api = await loadFaceApi()
  const net = api.nets[name]
  if (!loaded.has(name)) loaded.set(name, net.loadFromDisk(faceModelDir()))
  await loaded.get(name)
  return net
}
