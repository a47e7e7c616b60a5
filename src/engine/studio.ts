/** The engine as one object: catalog, files, events and jobs for one data directory. */
import { Catalog, type CatalogOptions } from './catalog/catalog'
import { FileStore } from './catalog/files'
import { EventHub } from './events'
import { JobRegistry } from './jobs/jobs'

export interface StudioOptions extends CatalogOptions {
  mode: 'electron' | 'web' | 'cli'
}

export class Studio {
  readonly events = new EventHub()
  readonly jobs = new JobRegistry(this.events)
  readonly files: FileStore

  private constructor(
    readonly home: string,
    readonly catalog: Catalog,
    readonly mode: StudioOptions['mode'],
  ) {
    this.files = new FileStore(home)
  }

  static open(home: string, options: StudioOptions): Studio {
    return new Studio(home, Catalog.open(home, options), options.mode)
  }

  close(): void {
    this.catalog.close()
  }
}
