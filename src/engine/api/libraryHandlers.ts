/** The Library's calls: browse, inspect, import, edit and re-split the catalog's images. */
import sharp from 'sharp'
import { windowFill } from '../../shared/framing'
import { StudioError, type Handlers } from '../../shared/contract'
import type { ImageDetail, ImageSummary } from '../../shared/domain'
import type { Catalog } from '../catalog/catalog'
import { fileNameOf, type ImageRow } from '../catalog/images'
import { createDemoDataset } from '../datasets/demo'
import { importInWorker } from '../workers/import/host'
import { splitFor } from '../datasets/splits'
import type { Studio } from '../studio'
import { studioPath } from './paths'
import { dataUrl } from '../images/encode'

type LibraryCalls = Pick<Handlers, Extract<keyof Handlers, `library.${string}`>>

/** The most images one bulk edit takes (the contract's cap on library.update). */
export const MAX_BULK = 100_000

/** The original photo, shown downscaled; the detection is drawn in these coordinates. */
const PHOTO_SIDE = 900

async function photoPreview(row: ImageRow): Promise<ImageDetail['photo']> {
  if (row.sourcePath.startsWith('demo://') || row.width === null || row.height === null) return null
  try {
    const { data, info } = await sharp(row.sourcePath, { limitInputPixels: false })
      .rotate()
      .resize(PHOTO_SIDE, PHOTO_SIDE, { fit: 'inside', withoutEnlargement: true })
      .jpeg({ quality: 85 })
      .toBuffer({ resolveWithObject: true })
    const k = info.width / row.width
    return {
      url: dataUrl(data, 'image/jpeg'),
      width: info.width,
      height: info.height,
      box: row.faceBox && { x: row.faceBox.x * k, y: row.faceBox.y * k, width: row.faceBox.width * k, height: row.faceBox.height * k },
      landmarks: (row.landmarks ?? []).map((p) => ({ x: p.x * k, y: p.y * k })),
    }
  } catch {
    return null // moved or deleted since the import: the crop still shows
  }
}

/** Refuses a dataset id the catalog does not have (undefined means every dataset). */
export function requireDataset(catalog: Catalog, datasetId: number | undefined): void {
  if (datasetId !== undefined && !catalog.datasets.exists(datasetId)) {
    throw new StudioError('not_found', `There is no dataset with id ${datasetId}.`)
  }
}

export function libraryHandlers(studio: Studio): LibraryCalls {
  const { catalog, files, jobs, events } = studio

  const summarize = async (row: ImageRow): Promise<ImageSummary> => ({
    id: row.id,
    datasetId: row.datasetId,
    age: row.age,
    bin: row.bin,
    ageSource: row.ageSource,
    split: row.split,
    excluded: row.excluded,
    flags: row.flags,
    importError: row.importError,
    fileName: fileNameOf(row.sourcePath),
    thumb: await files.dataUrl(row.thumbFile ?? row.trainFile),
  })

  return {
    'library.datasets': async () => catalog.datasets.list(),

    'library.stats': async (filter) => {
      requireDataset(catalog, filter.datasetId)
      return catalog.images.stats(filter)
    },

    'library.list': async ({ offset, limit, ...filter }) => {
      requireDataset(catalog, filter.datasetId)
      const rows = catalog.images.list(filter, offset, limit)
      return { total: catalog.images.count(filter), offset, images: await Promise.all(rows.map(summarize)) }
    },

    'library.ids': async (filter) => {
      requireDataset(catalog, filter.datasetId)
      return catalog.images.ids(filter, MAX_BULK)
    },

    'library.image': async ({ id }) => {
      const row = catalog.images.get(id)
      if (!row) throw new StudioError('not_found', `There is no image with id ${id}.`)
      return {
        ...(await summarize(row)),
        sha256: row.sha256,
        sourcePath: row.sourcePath,
        datasetName: row.datasetName,
        width: row.width,
        height: row.height,
        picture: await files.dataUrl(row.cropFile ?? row.trainFile),
        identity: row.identity,
        gender: row.gender,
        faceScore: row.faceScore,
        nearDuplicateOf: row.nearDuplicateOf,
        outside:
          row.transform && row.width && row.height
            ? { full: windowFill(row.transform, row.width, row.height, 'full'), face: windowFill(row.transform, row.width, row.height, 'face') }
            : null,
        photo: await photoPreview(row),
        createdAt: row.createdAt,
      }
    },

    'library.createDemo': async (options) => {
      let jobId = ''
      const outcome = await jobs.run(
        'demo',
        (job) => createDemoDataset(catalog, files, job, options),
        (job) => (jobId = job.id),
      )
      events.emit('catalog.changed', { datasetId: outcome.datasetId })
      return { jobId, ...outcome }
    },

    'library.import': async ({ paths: given, format, dataset, estimateAges, seed, val, test }) => {
      const paths = given.map((path) => studioPath(studio, path, 'Each folder, photo or CSV'))
      let jobId = ''
      const outcome = await jobs
        .run(
          'import',
          (job) => importInWorker(studio.home, studio.nativeBinding, { paths, format, dataset, estimateAges, splits: { seed, val, test } }, job),
          (job) => (jobId = job.id),
        )
        .finally(() => events.emit('catalog.changed', { datasetId: null }))
      return { jobId, ...outcome }
    },

    'library.update': async ({ ids, patch }) => {
      const updated = catalog.images.update(ids, patch)
      events.emit('catalog.changed', { datasetId: null })
      return { updated }
    },

    'library.resplit': async ({ datasetId, seed, val, test }) => {
      requireDataset(catalog, datasetId)
      const updated = catalog.images.resplit(datasetId, (key) => splitFor(key, { seed, val, test }))
      events.emit('catalog.changed', { datasetId })
      return { updated }
    },
  }
}
