/** The engine as one object: catalog, files, events and jobs for one data directory. */
import { Catalog, type CatalogOptions } from './catalog/catalog'
import { FileStore } from './catalog/files'
import { EventHub } from './events'
import { JobRegistry } from './workers/jobs'
import { TrainingHost } from './workers/training/host'
import { AgingHost } from './workers/aging/host'
import { Uploads } from './uploads'
import { ensureDefaultModel, type DefaultModel } from './aging/defaultModel'

export interface StudioOptions extends CatalogOptions {
  mode: 'electron' | 'web' | 'cli'
}

export class Studio {
  readonly events = new EventHub()
  readonly jobs = new JobRegistry(this.events)
  readonly files: FileStore
  readonly training: TrainingHost
  readonly aging: AgingHost
  readonly uploads: Uploads
  /** The shipped model once imported (see installDefaultModel); null until asked for, or where none ships. */
  defaultModel: Promise<DefaultModel | null> = Promise.resolve(null)

  private constructor(
    readonly home: string,
    readonly catalog: Catalog,
    readonly mode: StudioOptions['mode'],
    readonly nativeBinding?: string,
  ) {
    this.files = new FileStore(home)
    this.training = new TrainingHost(home, this.events, catalog.runs, nativeBinding)
    this.aging = new AgingHost(home, this.events, nativeBinding)
    this.uploads = new Uploads(home)
  }

  static open(home: string, options: StudioOptions): Studio {
    const catalog = Catalog.open(home, options)
    // Runs left 'running' by a process that died show as interrupted, resumable.
    catalog.runs.markInterrupted()
    return new Studio(home, catalog, options.mode, options.nativeBinding)
  }

  /**
   * Imports the shipped model on first start (the studio's windows and web mode do; the tests' and
   * scripts' studios do not). The editor's model list waits for it; a failure is reported, not fatal.
   */
  installDefaultModel(report: (message: string) => void): Promise<DefaultModel | null> {
    this.defaultModel = ensureDefaultModel(this.home, this.catalog).catch((error: Error) => {
      report(`the shipped model could not be imported: ${error.message}`)
      return null
    })
    return this.defaultModel
  }

  /**
   * Ends every worker thread, marks the runs they trained 'interrupted' (resumable from their last
   * checkpoint), then closes the catalog. Nothing is left to keep the process alive.
   */
  async close(): Promise<void> {
    await Promise.all([this.training.stopAll(), this.aging.stop()])
    this.catalog.close()
  }
}
